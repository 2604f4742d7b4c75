import type { AccountService } from '../accounts/account-service';
import type { Account } from '../accounts/account-store';
import { DOWNLOAD_ACTIONS, type AuditLog, type Download } from '../audit/audit-log';
import { ValidationError } from '../../shared/errors';
import type { BucketRow, DailyTotalRow, EntryRow, Period, ReconciliationStore } from './reconciliation-store';
import type { RunHistoryStore } from './run-history-store';
import { periodDetail } from './period';

/**
 * Items listed per category in a report; beyond it they are counted only. This bounds memory and
 * what the run history keeps of a report: at most this many discrepancies and this many of each
 * exception, with their counts.
 */
export const LISTED_ITEMS_MAX = 1000;
/** Trades open longer than this are reported as stale holds unless told otherwise. */
export const STALE_HOLD_AGE_DEFAULT_S = 24 * 3600;

export interface Discrepancy {
  check: string;
  login: string | null;
  /** The bucket, currency or key concerned. */
  subject: string | null;
  /** Amounts in minor units of the account's (or subject's) currency. */
  expected: string;
  found: string;
  entryIds: string[];
}

export interface Listing<T> {
  count: number;
  items: T[];
  truncated: boolean;
}

export interface PointInTimeBalance {
  account: Account;
  at: Date;
  buckets: BucketRow;
  /** The entry whose after-values these are; null when the account had none before `at`. */
  entry: { id: string; version: string; createdAt: Date } | null;
}

export interface ReconciliationReport {
  /** The run in the history (GET /admin/reconciliation/runs/:id). */
  runId: string;
  /** True when every invariant holds (exceptions are for review and do not make it unclean). */
  clean: boolean;
  checkedAt: string;
  /** Null when read on the primary; else the replica's lag, in seconds, when the check began. */
  replicaLagS: number | null;
  period: { from: string; to: string };
  staleHoldAgeS: number;
  checks: Array<{ check: string; description: string; discrepancies: number }>;
  discrepancies: Listing<Discrepancy>;
  exceptions: {
    orphanCloses: Listing<Record<string, unknown>>;
    staleHolds: Listing<Record<string, unknown>>;
    refusedDuplicates: Listing<Record<string, unknown>>;
    syncTimeouts: Listing<Record<string, unknown>>;
  };
}

export interface ReconcileOptions {
  period: Period;
  staleHoldAgeS: number;
  /** Called before each step (for progress bars). */
  onStep?: (step: string, index: number, total: number) => void;
  /** Called for every discrepancy, listed or not (the CLI prints them as they come). */
  onDiscrepancy?: (discrepancy: Discrepancy) => void;
  /** Who ran it, for the history and the audit log: `admin-api`, `cli:<os user>`, `user:<name>`. */
  actor: string;
}

export interface Statement {
  account: Account;
  period: Period;
  opening: BucketRow;
  /** The entries in the period, oldest first; `closing()` is known once they have been read. */
  entries: AsyncIterable<EntryRow>;
  closing(): BucketRow;
}

/**
 * The finance team's view of the ledger: invariant checks with every discrepancy, exceptions for
 * review, daily totals, account statements and the full export. Everything large is streamed.
 */
export class ReconciliationService {
  constructor(
    private readonly store: ReconciliationStore,
    private readonly accounts: AccountService,
    private readonly history: RunHistoryStore,
    private readonly audit: AuditLog,
  ) {}

  /** Checks every invariant and lists the exceptions; the report is kept in the run history, the run in the audit log. */
  async reconcile(options: ReconcileOptions): Promise<ReconciliationReport> {
    checkPeriod(options.period);
    const replicaLagS = await this.store.replicaLagS();
    const steps = this.store.invariants.length + 4;
    const discrepancies = new Lister<Discrepancy>();
    const checks: ReconciliationReport['checks'] = [];
    let step = 0;
    for (const query of this.store.invariants) {
      options.onStep?.(query.check, step++, steps);
      let found = 0;
      for await (const row of this.store.discrepancies(query)) {
        const discrepancy: Discrepancy = {
          check: query.check,
          login: row.login,
          subject: row.subject,
          expected: row.expected,
          found: row.found,
          entryIds: row.entry_ids ?? [],
        };
        found += 1;
        discrepancies.add(discrepancy);
        options.onDiscrepancy?.(discrepancy);
      }
      checks.push({ check: query.check, description: query.description, discrepancies: found });
    }
    const exception = async (name: string, rows: AsyncIterable<Record<string, unknown>>) => {
      options.onStep?.(name, step++, steps);
      const listing = new Lister<Record<string, unknown>>();
      for await (const row of rows) listing.add(row);
      return listing.result();
    };
    const exceptions = {
      orphanCloses: await exception('orphan_closes', this.store.orphanCloses(options.period)),
      staleHolds: await exception('stale_holds', this.store.staleHolds(options.staleHoldAgeS)),
      refusedDuplicates: await exception('refused_duplicates', this.store.refusedDuplicates(options.period)),
      syncTimeouts: await exception('sync_timeouts', this.store.syncTimeouts(options.period)),
    };
    options.onStep?.('done', steps, steps);
    const listed = discrepancies.result();
    const found = {
      clean: listed.count === 0,
      checkedAt: new Date().toISOString(),
      replicaLagS,
      period: periodDetail(options.period),
      staleHoldAgeS: options.staleHoldAgeS,
      checks,
      discrepancies: listed,
      exceptions,
    };
    let report: ReconciliationReport | undefined;
    await this.history.record(
      {
        kind: 'reconciliation',
        actor: options.actor,
        dryRun: null,
        period: options.period,
        options: { staleHoldAgeS: options.staleHoldAgeS },
        summary: {
          clean: found.clean,
          discrepancies: listed.count,
          exceptions: Object.fromEntries(Object.entries(exceptions).map(([name, listing]) => [name, listing.count])),
        },
      },
      (runId) => (report = { runId, ...found }),
    );
    // after the history, in a transaction of its own: a run the audit failed to record is still kept and reopened
    await this.audit.record({
      actor: options.actor,
      action: 'reconciliation.run',
      detail: { runId: report!.runId, clean: found.clean, ...found.period },
    });
    return report!;
  }

  dailyTotals(period: Period): AsyncIterable<DailyTotalRow> {
    checkPeriod(period);
    return this.store.dailyTotals(period);
  }

  /** Each bucket of the account as it stood at `at`, from the after-values of its last entry before it. */
  async balanceAt(login: bigint, at: Date): Promise<PointInTimeBalance> {
    const [account, entry] = await Promise.all([this.accounts.get(login), this.store.lastEntryBefore(login, at)]);
    return {
      account,
      at,
      buckets: entry ?? { balance_minor: '0', credit_minor: '0', held_minor: '0' },
      entry: entry ? { id: entry.entry_id, version: entry.account_version, createdAt: entry.created_at } : null,
    };
  }

  /** An account's statement for `download` (recorded in the audit log once the account is known). */
  async statement(login: bigint, period: Period, download: Download): Promise<Statement> {
    checkPeriod(period);
    const account = await this.accounts.get(login);
    await this.audit.downloaded(DOWNLOAD_ACTIONS.statement, download, String(login), periodDetail(period));
    const opening = await this.store.bucketsAt(login, period.from);
    let closing = opening;
    const rows = this.store.entriesOfAccount(login, period);
    async function* entries(): AsyncIterable<EntryRow> {
      for await (const row of rows) {
        closing = {
          balance_minor: row.balance_after_minor,
          credit_minor: row.credit_after_minor,
          held_minor: row.held_after_minor,
        };
        yield row;
      }
    }
    return { account, period, opening, entries: entries(), closing: () => closing };
  }

  /** Every posting of the period, one row each, for `download` (recorded in the audit log first). */
  async ledgerPostings(period: Period, download: Download) {
    checkPeriod(period);
    await this.audit.downloaded(DOWNLOAD_ACTIONS.ledgerExport, download, null, periodDetail(period));
    return this.store.postings(period);
  }
}

/** Keeps the first LISTED_ITEMS_MAX items and counts all of them. */
class Lister<T> {
  private readonly items: T[] = [];
  private count = 0;

  add(item: T): void {
    this.count += 1;
    if (this.items.length < LISTED_ITEMS_MAX) this.items.push(item);
  }

  result(): Listing<T> {
    return { count: this.count, items: this.items, truncated: this.count > this.items.length };
  }
}

export function checkPeriod(period: Period): void {
  const { from, to } = period;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new ValidationError('from and to must be dates');
  if (from >= to) throw new ValidationError('from must be before to');
}
