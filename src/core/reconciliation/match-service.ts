import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ValidationError } from '../../shared/errors';
import { compareRecords, readExternalRow, type ColumnNames, type ExternalRecord, type MatchItem, type MatchOutcome } from './matching';
import { LISTED_ITEMS_MAX, checkPeriod, type Listing } from './reconciliation-service';
import type { LedgerSide, MatchStore, Period } from './reconciliation-store';

/** Rows an uploaded file may have (they are held in memory while the ledger streams past). */
export const MATCH_FILE_ROWS_MAX = 200_000;
/** References looked up per query when a file row was not found in the period. */
const LOOKUP_BATCH_REFERENCES = 1000;
/** Ledger records within this margin around the file's dates are compared too (time zones, cut-offs). */
const PERIOD_MARGIN_MS = 86_400_000;

export interface MatchOptions {
  side: LedgerSide;
  columns: ColumnNames;
  /** Largest amount difference still counted as matched, in minor units. */
  driftMinor: bigint;
  /** Dry run (the default) reports only; otherwise the run and its items are saved. */
  dryRun: boolean;
  /** The ledger period to compare; by default the file's dates with a day of margin, or all time. */
  period?: Period;
}

export interface MatchReport {
  dryRun: boolean;
  runId: string | null;
  side: LedgerSide;
  period: { from: string; to: string };
  fileRows: number;
  invalidRows: Listing<string>;
  counts: Record<MatchOutcome, number>;
  /** The first items of every outcome but `matched`. */
  exceptions: Listing<ReturnType<typeof presentItem>>;
}

const ALL_TIME: Period = { from: new Date('1970-01-01T00:00:00Z'), to: new Date('9999-01-01T00:00:00Z') };

/**
 * Matches an external CSV against the ledger by reference and amount (one to one), reporting
 * matched records, amount mismatches, and records missing on either side.
 */
export class MatchService {
  constructor(private readonly store: MatchStore) {}

  async match(csv: Readable, options: MatchOptions): Promise<MatchReport> {
    const { records, invalid, rows } = await readFile(csv, options.columns);
    const period = options.period ?? periodOf(records.values());
    if (options.period) checkPeriod(options.period);
    const counts: Record<MatchOutcome, number> = { matched: 0, amount_mismatch: 0, missing_in_ledger: 0, missing_in_file: 0 };
    const items: MatchItem[] = [];
    const record = (item: MatchItem) => {
      counts[item.outcome] += 1;
      if (item.outcome !== 'missing_in_file' || counts.missing_in_file <= LISTED_ITEMS_MAX) items.push(item);
    };

    const unseen = new Map(records);
    for await (const row of this.store.ledgerRecords(options.side, period)) {
      const ledger = { reference: row.reference, amountMinor: BigInt(row.amount_minor), currency: row.currency, createdAt: row.created_at };
      const external = unseen.get(row.reference);
      if (external) {
        unseen.delete(row.reference);
        record(compareRecords(external, ledger, options.driftMinor));
      } else if (!records.has(row.reference)) {
        record({ outcome: 'missing_in_file', reference: row.reference, currency: row.currency, externalMinor: null, ledgerMinor: ledger.amountMinor });
      }
    }
    // File rows not seen in the period may still be in the ledger at another time.
    const leftover = [...unseen.values()];
    for (let start = 0; start < leftover.length; start += LOOKUP_BATCH_REFERENCES) {
      const batch = leftover.slice(start, start + LOOKUP_BATCH_REFERENCES);
      const found = new Map((await this.store.ledgerRecordsByReference(options.side, batch.map((item) => item.reference))).map((row) => [row.reference, row]));
      for (const external of batch) {
        const row = found.get(external.reference);
        record(
          row
            ? compareRecords(external, { reference: row.reference, amountMinor: BigInt(row.amount_minor), currency: row.currency, createdAt: row.created_at }, options.driftMinor)
            : { outcome: 'missing_in_ledger', reference: external.reference, currency: external.currency, externalMinor: external.amountMinor, ledgerMinor: null },
        );
      }
    }

    const exceptions = items.filter((item) => item.outcome !== 'matched');
    const summary = {
      side: options.side,
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      fileRows: rows,
      invalidRows: invalid.length,
      counts,
    };
    const runId = options.dryRun ? null : (await this.store.saveRun(summary, items)).toString();
    return {
      dryRun: options.dryRun,
      runId,
      ...summary,
      invalidRows: listing(invalid),
      exceptions: listing(exceptions.map(presentItem)),
    };
  }
}

async function readFile(csv: Readable, columns: ColumnNames) {
  const records = new Map<string, ExternalRecord>();
  const invalid: string[] = [];
  let rows = 0;
  const parser = csv.pipe(parse({ columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }));
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      rows += 1;
      if (rows > MATCH_FILE_ROWS_MAX) throw new ValidationError(`a file may have at most ${MATCH_FILE_ROWS_MAX} rows`);
      const read = readExternalRow(row, columns, rows + 1);
      if (typeof read === 'string') invalid.push(read);
      else if (records.has(read.reference)) invalid.push(`line ${read.line}: reference ${read.reference} appears twice`);
      else records.set(read.reference, read);
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`the file is not readable CSV: ${(error as Error).message}`);
  }
  if (rows > 0 && records.size === 0 && invalid.length === rows) {
    throw new ValidationError(`no usable row: ${invalid[0]} (columns: ${Object.values(columns).join(', ')})`);
  }
  return { records, invalid, rows };
}

function periodOf(records: Iterable<ExternalRecord>): Period {
  let from: number | undefined;
  let to: number | undefined;
  for (const record of records) {
    if (!record.date) return ALL_TIME;
    const time = record.date.getTime();
    from = from === undefined ? time : Math.min(from, time);
    to = to === undefined ? time : Math.max(to, time);
  }
  if (from === undefined || to === undefined) return ALL_TIME;
  return { from: new Date(from - PERIOD_MARGIN_MS), to: new Date(to + PERIOD_MARGIN_MS) };
}

function listing<T>(items: T[]): Listing<T> {
  return { count: items.length, items: items.slice(0, LISTED_ITEMS_MAX), truncated: items.length > LISTED_ITEMS_MAX };
}

function presentItem(item: MatchItem) {
  return {
    outcome: item.outcome,
    reference: item.reference,
    currency: item.currency,
    externalMinor: item.externalMinor?.toString() ?? null,
    ledgerMinor: item.ledgerMinor?.toString() ?? null,
    ...(item.detail ? { detail: item.detail } : {}),
  };
}
