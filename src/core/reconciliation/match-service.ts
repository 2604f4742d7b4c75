import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { AuditLog } from '../audit/audit-log';
import { ValidationError } from '../../shared/errors';
import { formatMinorUnits } from '../money/amount';
import { requireCurrency } from '../money/currency';
import {
  compareGroup,
  Grouper,
  MATCH_OUTCOMES,
  readExternalRow,
  type ColumnNames,
  type GroupingRules,
  type LedgerRecord,
  type MatchGroup,
  type MatchItem,
  type MatchOutcome,
} from './matching';
import { LISTED_ITEMS_MAX, checkPeriod, type Listing } from './reconciliation-service';
import type { LedgerReferenceRow, LedgerSide, MatchStore, Period } from './reconciliation-store';
import type { RunHistoryStore } from './run-history-store';
import { periodDetail } from './period';

/** Rows an uploaded file may have (they are held in memory while the ledger streams past). */
export const MATCH_FILE_ROWS_MAX = 200_000;
/** Characters of one CSV record, at most (a row of MATCH_GROUP_MEMBERS_MAX references fits). */
export const MATCH_RECORD_CHARS_MAX = 128 * 1024;
/** References looked up per query when a file row was not found in the period. */
const LOOKUP_BATCH_REFERENCES = 1000;
/** Ledger records within this margin around the file's dates are compared too (time zones, cut-offs). */
const PERIOD_MARGIN_MS = 86_400_000;

export interface MatchOptions {
  side: LedgerSide;
  columns: ColumnNames;
  /** Largest amount difference still counted as matched, in minor units (for a group: its sums). */
  driftMinor: bigint;
  /** One to many and many to one (matching.ts); by default one to one. */
  grouping?: GroupingRules;
  /** Dry run (the default) or applied: either way the run and its items are kept in the history. */
  dryRun: boolean;
  /** The ledger period to compare; by default the file's dates with a day of margin, or all time. */
  period?: Period;
  /** Who ran it, for the history and the audit log: `admin-api`, `cli:<os user>`, `user:<name>`. */
  actor: string;
}

/** Totals of one currency and outcome: the items' count and each side's sum, in currency units. */
export interface MatchTotal {
  currency: string;
  outcome: MatchOutcome;
  count: number;
  fileAmount: string;
  ledgerAmount: string;
}

export interface MatchReport {
  dryRun: boolean;
  /** The run in the history (GET /admin/reconciliation/runs/:id; its items as CSV). */
  runId: string;
  side: LedgerSide;
  period: { from: string; to: string };
  fileRows: number;
  invalidRows: Listing<string>;
  counts: Record<MatchOutcome, number>;
  /** Per currency and outcome, over every item (those not listed included). */
  totals: MatchTotal[];
  /** The first items of every outcome but `matched`. */
  exceptions: Listing<PresentedMatchItem>;
}

const ALL_TIME: Period = { from: new Date('1970-01-01T00:00:00Z'), to: new Date('9999-01-01T00:00:00Z') };
const ONE_TO_ONE: GroupingRules = { referenceDelimiter: null, sumRepeated: false };

/**
 * Matches an external CSV against the ledger by reference and amount (one to one, or by the
 * grouping rules one to many and many to one), reporting matched records, amount mismatches, and
 * records missing on either side, and keeps the run with every item in the history.
 */
export class MatchService {
  constructor(
    private readonly store: MatchStore,
    private readonly history: RunHistoryStore,
    private readonly audit: AuditLog,
  ) {}

  async match(csv: Readable, options: MatchOptions): Promise<MatchReport> {
    const grouping = options.grouping ?? ONE_TO_ONE;
    const { grouper, invalid, rows } = await readFile(csv, options.columns, grouping);
    const period = options.period ?? periodOf(grouper.groups);
    if (options.period) checkPeriod(options.period);
    const totals = new MatchTotals();
    const missingInFile: MatchItem[] = [];
    let missingInFileCount = 0;
    const found = new Map<string, LedgerRecord>();
    for await (const row of this.store.ledgerRecords(options.side, period)) {
      if (grouper.claimedBy(row.reference)) {
        // a reference twice in the period (trades of two types): the first is compared, as always
        if (!found.has(row.reference)) found.set(row.reference, ledgerRecord(row));
      } else {
        const item: MatchItem = {
          outcome: 'missing_in_file',
          kind: 'one-to-one',
          reference: row.reference,
          currency: row.currency,
          externalMinor: null,
          ledgerMinor: BigInt(row.amount_minor),
          lines: [],
        };
        missingInFileCount += 1;
        totals.add(item);
        // beyond the listed ones they are in the counts and totals only: a long period may hold very many
        if (missingInFile.length < LISTED_ITEMS_MAX) missingInFile.push(item);
      }
    }
    // References not seen in the period may still be in the ledger at another time.
    const leftover = grouper.groups.flatMap((group) =>
      group.ledgerReferences.filter((reference) => !found.has(reference)),
    );
    for (let start = 0; start < leftover.length; start += LOOKUP_BATCH_REFERENCES) {
      for (const row of await this.store.ledgerRecordsByReference(
        options.side,
        leftover.slice(start, start + LOOKUP_BATCH_REFERENCES),
      )) {
        found.set(row.reference, ledgerRecord(row));
      }
    }

    // The items are made twice, to add them up and to write them, rather than held: 200,000 of them
    // would be tens of megabytes on the service's heap beside the file's groups.
    const items = function* (): Generator<MatchItem> {
      for (const group of grouper.groups) yield compareGroup(group, found, options.driftMinor);
      yield* missingInFile;
    };
    const counts = Object.fromEntries(MATCH_OUTCOMES.map((outcome) => [outcome, 0])) as Record<MatchOutcome, number>;
    // only the first exceptions are listed (a file may leave 200,000 of them)
    const exceptions: Listing<MatchItem> = { count: 0, items: [], truncated: false };
    for (const item of items()) {
      // the ledger's records missing in the file (the only items of that outcome: a file's group is
      // never missing in the file) were counted and totalled as the ledger streamed past
      if (item.outcome !== 'missing_in_file') {
        totals.add(item);
        counts[item.outcome] += 1;
      }
      if (item.outcome === 'matched') continue;
      exceptions.count += 1;
      if (exceptions.items.length < LISTED_ITEMS_MAX) exceptions.items.push(item);
    }
    counts.missing_in_file = missingInFileCount;
    exceptions.truncated = exceptions.count > LISTED_ITEMS_MAX;
    const periodText = periodDetail(period);
    const totalList = totals.result();
    let report: MatchReport | undefined;
    const answer = (runId: string): MatchReport =>
      (report = {
        dryRun: options.dryRun,
        runId,
        side: options.side,
        period: periodText,
        fileRows: rows,
        invalidRows: listing(invalid),
        counts,
        totals: totalList,
        exceptions: { ...exceptions, items: exceptions.items.map(presentMatchItem) },
      });
    await this.history.record(
      {
        kind: 'match',
        actor: options.actor,
        dryRun: options.dryRun,
        period,
        options: {
          side: options.side,
          columns: options.columns,
          driftMinor: options.driftMinor.toString(),
          referenceDelimiter: grouping.referenceDelimiter,
          sumRepeated: grouping.sumRepeated,
          periodGiven: options.period !== undefined,
        },
        summary: { side: options.side, fileRows: rows, invalidRows: invalid.length, counts, totals: totalList },
      },
      answer,
      items(),
    );
    // after the history, in a transaction of its own: a run the audit failed to record is still kept and reopened
    await this.audit.record({
      actor: options.actor,
      action: 'match.run',
      detail: { runId: report!.runId, dryRun: options.dryRun, fileRows: rows, counts },
    });
    return report!;
  }
}

function ledgerRecord(row: LedgerReferenceRow): LedgerRecord {
  return { reference: row.reference, amountMinor: BigInt(row.amount_minor), currency: row.currency };
}

/** Count and sums per currency and outcome, added up item by item. */
class MatchTotals {
  private readonly totals = new Map<
    string,
    { currency: string; outcome: MatchOutcome; count: number; fileMinor: bigint; ledgerMinor: bigint }
  >();

  add(item: MatchItem): void {
    const currency = item.currency ?? '';
    const key = `${currency} ${item.outcome}`;
    const total = this.totals.get(key) ?? { currency, outcome: item.outcome, count: 0, fileMinor: 0n, ledgerMinor: 0n };
    total.count += 1;
    total.fileMinor += item.externalMinor ?? 0n;
    total.ledgerMinor += item.ledgerMinor ?? 0n;
    this.totals.set(key, total);
  }

  /** By currency, then outcome in MATCH_OUTCOMES order; amounts in currency units. */
  result(): MatchTotal[] {
    return [...this.totals.values()]
      .sort(
        (a, b) =>
          a.currency.localeCompare(b.currency) || MATCH_OUTCOMES.indexOf(a.outcome) - MATCH_OUTCOMES.indexOf(b.outcome),
      )
      .map((total) => ({
        currency: total.currency,
        outcome: total.outcome,
        count: total.count,
        fileAmount: currencyUnits(total.fileMinor, total.currency),
        ledgerAmount: currencyUnits(total.ledgerMinor, total.currency),
      }));
  }
}

async function readFile(csv: Readable, columns: ColumnNames, rules: GroupingRules) {
  const grouper = new Grouper(rules);
  const invalid: string[] = [];
  let rows = 0;
  const parser = csv.pipe(
    parse({
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
      max_record_size: MATCH_RECORD_CHARS_MAX,
    }),
  );
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      rows += 1;
      if (rows > MATCH_FILE_ROWS_MAX) throw new ValidationError(`a file may have at most ${MATCH_FILE_ROWS_MAX} rows`);
      const read = readExternalRow(row, columns, rows + 1);
      const refused = typeof read === 'string' ? read : grouper.add(read);
      if (refused !== undefined) invalid.push(refused);
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`the file is not readable CSV: ${(error as Error).message}`);
  }
  if (rows > 0 && grouper.groups.length === 0 && invalid.length === rows) {
    throw new ValidationError(`no usable row: ${invalid[0]} (columns: ${Object.values(columns).join(', ')})`);
  }
  return { grouper, invalid, rows };
}

function periodOf(groups: readonly MatchGroup[]): Period {
  let from: number | undefined;
  let to: number | undefined;
  for (const group of groups) {
    for (const { dateMs } of group.rows) {
      if (dateMs === null) return ALL_TIME;
      from = from === undefined ? dateMs : Math.min(from, dateMs);
      to = to === undefined ? dateMs : Math.max(to, dateMs);
    }
  }
  if (from === undefined || to === undefined) return ALL_TIME;
  return { from: new Date(from - PERIOD_MARGIN_MS), to: new Date(to + PERIOD_MARGIN_MS) };
}

function listing<T>(items: T[]): Listing<T> {
  return { count: items.length, items: items.slice(0, LISTED_ITEMS_MAX), truncated: items.length > LISTED_ITEMS_MAX };
}

/** Minor units as a decimal of the currency (a spreadsheet sums it; no binary double on the way). */
function currencyUnits(minor: bigint, currency: string): string {
  return formatMinorUnits(minor, requireCurrency(currency).scale);
}

/** The same, or null where an item has no amount (a side missing) or no currency. */
export function optionalUnits(minor: bigint | null, currency: string | null): string | null {
  return minor === null || currency === null ? null : currencyUnits(minor, currency);
}

export type PresentedMatchItem = ReturnType<typeof presentMatchItem>;

/** An item as answers show it: minor units (as before) and the same amounts in currency units. */
function presentMatchItem(item: MatchItem) {
  return {
    outcome: item.outcome,
    match: item.kind,
    reference: item.reference,
    currency: item.currency,
    externalMinor: item.externalMinor?.toString() ?? null,
    ledgerMinor: item.ledgerMinor?.toString() ?? null,
    fileAmount: optionalUnits(item.externalMinor, item.currency),
    ledgerAmount: optionalUnits(item.ledgerMinor, item.currency),
    lines: item.lines,
    ...(item.parts
      ? {
          parts: item.parts.map((part) => ({
            side: part.side,
            reference: part.reference,
            line: part.line,
            currency: part.currency,
            amount: optionalUnits(part.amountMinor, part.currency),
          })),
        }
      : {}),
    ...(item.detail ? { detail: item.detail } : {}),
  };
}
