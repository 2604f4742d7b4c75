import { bindings, type Database } from '../../db/database';
import { streamedQuery } from '../../db/streamed-query';
import type { EntryRow } from '../ledger/ledger-store';

export type { EntryRow };
import { INVARIANT_QUERIES, type DiscrepancyRow, type InvariantQuery } from './invariant-queries';

export interface Period {
  from: Date;
  to: Date;
}

/**
 * The reconciliation's SQL. Every read that can be large is streamed with a server-side cursor, so
 * memory stays constant whatever the ledger size.
 */
export class ReconciliationStore {
  constructor(private readonly db: Database) {}

  readonly invariants: readonly InvariantQuery[] = INVARIANT_QUERIES;

  /**
   * Where the reports read: null on the primary; on a replica (DATABASE_READ_URL), how far behind it
   * is, in seconds (the time since the last transaction it replayed; 0 when it has caught up).
   */
  async replicaLagS(): Promise<number | null> {
    const { rows } = await this.db.raw<{ rows: { lag_s: string | null; replica: boolean }[] }>(
      `SELECT pg_is_in_recovery() AS replica,
              CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::text AS lag_s`,
    );
    const row = rows[0]!;
    return row.replica ? Number(row.lag_s ?? '0') : null;
  }

  discrepancies(query: InvariantQuery): AsyncIterable<DiscrepancyRow> {
    return this.stream<DiscrepancyRow>(query.sql, []);
  }

  orphanCloses(period: Period): AsyncIterable<Record<string, unknown>> {
    return this.stream(
      `SELECT trade_type, trade_id, order_no::text, login::text, currency, payout_minor::text AS amount_minor, closed_at
         FROM trades WHERE state = 'orphan_closed' AND closed_at >= ? AND closed_at < ? ORDER BY closed_at`,
      [period.from, period.to],
    );
  }

  staleHolds(olderThanS: number): AsyncIterable<Record<string, unknown>> {
    return this.stream(
      `SELECT trade_type, trade_id, order_no::text, login::text, currency, stake_minor::text AS amount_minor, opened_at
         FROM trades WHERE state = 'open' AND opened_at < now() - make_interval(secs => ?) ORDER BY opened_at`,
      [olderThanS],
    );
  }

  refusedDuplicates(period: Period): AsyncIterable<Record<string, unknown>> {
    return this.stream(
      `SELECT d.id::text, d.source, d.idempotency_key, d.login::text, d.detail, d.created_at
         FROM refused_duplicates d WHERE d.created_at >= ? AND d.created_at < ? ORDER BY d.id`,
      [period.from, period.to],
    );
  }

  /**
   * Sync commands answered 504, with what became of their order: applied (under it, or as the
   * order `applied_order_no` when its referenceId had been applied there), refused (`refusal`, the
   * finance core's code), or not applied (yet: a retry with the same referenceId applies it there).
   */
  syncTimeouts(period: Period): AsyncIterable<Record<string, unknown>> {
    return this.stream(
      `SELECT s.order_no::text, s.command, s.ext_id, s.manager_login::text, s.timed_out_at,
              CASE WHEN r.order_no IS NOT NULL OR o.applied_order_no IS NOT NULL THEN 'applied'
                   WHEN o.error_code IS NOT NULL THEN 'refused' ELSE 'not applied' END AS outcome,
              CASE WHEN r.order_no IS NULL THEN o.applied_order_no::text END AS applied_order_no,
              CASE WHEN r.order_no IS NULL THEN o.error_code END AS refusal
         FROM sync_timeouts s
         LEFT JOIN finance_records r ON r.order_no = s.order_no
         LEFT JOIN order_resolutions o ON o.order_no = s.order_no
        WHERE s.timed_out_at >= ? AND s.timed_out_at < ? ORDER BY s.id`,
      [period.from, period.to],
    );
  }

  /** Totals per day (UTC), currency and operation. */
  dailyTotals(period: Period): AsyncIterable<DailyTotalRow> {
    return this.stream<DailyTotalRow>(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, currency, operation,
              count(*)::text AS entries, sum(balance_delta_minor)::text AS balance_minor,
              sum(credit_delta_minor)::text AS credit_minor, sum(held_delta_minor)::text AS held_minor
         FROM journal_entries WHERE created_at >= ? AND created_at < ?
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [period.from, period.to],
    );
  }

  /** The bucket values an account had at `at` (after its last entry before it), zero if none. */
  async bucketsAt(login: bigint, at: Date): Promise<BucketRow> {
    return (await this.lastEntryBefore(login, at)) ?? { balance_minor: '0', credit_minor: '0', held_minor: '0' };
  }

  /** The account's last journal entry before `at`: the bucket values it left, and which entry it was. */
  async lastEntryBefore(
    login: bigint,
    at: Date,
  ): Promise<(BucketRow & { entry_id: string; account_version: string; created_at: Date }) | undefined> {
    const { rows } = await this.db.raw<{
      rows: Array<BucketRow & { entry_id: string; account_version: string; created_at: Date }>;
    }>(
      `SELECT e.balance_after_minor::text AS balance_minor, e.credit_after_minor::text AS credit_minor,
              e.held_after_minor::text AS held_minor, e.id::text AS entry_id, e.account_version::text, e.created_at
         FROM journal_entries e WHERE e.login = ? AND e.created_at < ? ORDER BY e.account_version DESC LIMIT 1`,
      bindings([login, at]),
    );
    return rows[0];
  }

  entriesOfAccount(login: bigint, period: Period): AsyncIterable<EntryRow> {
    return this.stream<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM journal_entries e
        WHERE e.login = ? AND e.created_at >= ? AND e.created_at < ? ORDER BY e.account_version`,
      [login, period.from, period.to],
    );
  }

  /** Every posting of every entry in the period, with its entry's fields (the full ledger export). */
  postings(period: Period): AsyncIterable<EntryRow & { book: string; amount_minor: string }> {
    return this.stream(
      `SELECT ${ENTRY_COLUMNS}, p.book, p.amount_minor::text AS amount_minor
         FROM journal_entries e JOIN postings p ON p.entry_id = e.id
        WHERE e.created_at >= ? AND e.created_at < ? ORDER BY e.id, p.book`,
      [period.from, period.to],
    );
  }

  private stream<T>(sql: string, values: readonly unknown[]): AsyncIterable<T> {
    return streamedQuery<T>(this.db, sql, values);
  }
}

const ENTRY_COLUMNS = `e.id::text, e.order_no::text, e.login::text, e.account_version::text, e.currency, e.operation,
  e.balance_delta_minor::text, e.credit_delta_minor::text, e.held_delta_minor::text,
  e.balance_after_minor::text, e.credit_after_minor::text, e.held_after_minor::text,
  e.actor_kind, e.actor, e.idempotency_key, e.comment, e.created_at`;

export interface DailyTotalRow {
  day: string;
  currency: string;
  operation: string;
  entries: string;
  balance_minor: string;
  credit_minor: string;
  held_minor: string;
}

export interface BucketRow {
  balance_minor: string;
  credit_minor: string;
  held_minor: string;
}

export type LedgerSide = 'finance-records' | 'trades';

/** Where each side's references live: finance records by referenceId, trades by externalTradeId (stake). */
const LEDGER_SIDES: Record<LedgerSide, { select: string; referenceColumn: string; timeColumn: string }> = {
  'finance-records': {
    select: `SELECT r.reference_id AS reference, abs(r.amount_minor)::text AS amount_minor, a.currency
               FROM finance_records r JOIN accounts a ON a.login = r.login WHERE r.reference_id IS NOT NULL`,
    referenceColumn: 'r.reference_id',
    timeColumn: 'r.created_at',
  },
  trades: {
    select: `SELECT t.trade_id AS reference, t.stake_minor::text AS amount_minor, t.currency
               FROM trades t WHERE t.state <> 'orphan_closed'`,
    referenceColumn: 't.trade_id',
    timeColumn: 'coalesce(t.opened_at, t.closed_at)',
  },
};

export interface LedgerReferenceRow {
  reference: string;
  amount_minor: string;
  currency: string;
}

/** The ledger's side of matching, read on `db` (a replica, with DATABASE_READ_URL); runs are kept by RunHistoryStore. */
export class MatchStore {
  constructor(private readonly db: Database) {}

  /** The side's records created in the period, streamed. */
  ledgerRecords(side: LedgerSide, period: Period): AsyncIterable<LedgerReferenceRow> {
    const { select, timeColumn } = LEDGER_SIDES[side];
    return streamedQuery<LedgerReferenceRow>(this.db, `${select} AND ${timeColumn} >= ? AND ${timeColumn} < ?`, [
      period.from,
      period.to,
    ]);
  }

  /** The side's records with these references, whatever their time. */
  async ledgerRecordsByReference(side: LedgerSide, references: readonly string[]): Promise<LedgerReferenceRow[]> {
    const { select, referenceColumn } = LEDGER_SIDES[side];
    const { rows } = await this.db.raw<{ rows: LedgerReferenceRow[] }>(
      `${select} AND ${referenceColumn} = ANY (?::text[])`,
      bindings([references]),
    );
    return rows;
  }
}
