import { Readable } from 'node:stream';
import { z } from 'zod';
import { DEFAULT_COLUMNS } from '../../core/reconciliation/matching';
import type { MatchReport, MatchService } from '../../core/reconciliation/match-service';
import type { Period } from '../../core/reconciliation/reconciliation-store';

/** Largest uploaded file for matching, in bytes. */
export const MATCH_UPLOAD_BYTES_MAX = 20 * 1024 * 1024;

const columnName = z.string().trim().min(1).max(100);
/** Longest reference delimiter, in characters. */
const REFERENCE_DELIMITER_LENGTH_MAX = 5;

/** The options of a match upload, as query parameters (shared by the admin API and the console). */
export const matchQueryFields = {
  side: z.enum(['finance-records', 'trades']).default('finance-records'),
  dryRun: z.enum(['true', 'false']).default('true'),
  driftMinor: z.coerce.number().int().min(0).max(1e12).default(0),
  referenceColumn: columnName.default(DEFAULT_COLUMNS.reference),
  amountColumn: columnName.default(DEFAULT_COLUMNS.amount),
  currencyColumn: columnName.default(DEFAULT_COLUMNS.currency),
  dateColumn: columnName.default(DEFAULT_COLUMNS.date),
  referenceDelimiter: z.string().min(1).max(REFERENCE_DELIMITER_LENGTH_MAX).optional().meta({
    description:
      'one to many: a row whose reference lists several ledger references separated by this (such as ;) is matched against their sum',
  }),
  sumRepeated: z.enum(['true', 'false']).default('false').meta({
    description:
      'many to one: rows that repeat a reference are matched together against that ledger record (else a repeat is an invalid row)',
  }),
};

type MatchQuery = z.output<z.ZodObject<typeof matchQueryFields>>;

/** Runs a match on an uploaded body (raw bytes) with the parsed query's options, recorded as `actor`'s. */
export function matchUpload(
  matching: MatchService,
  body: unknown,
  query: MatchQuery,
  period: Period | undefined,
  actor: string,
): Promise<MatchReport> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  return matching.match(Readable.from([bytes]), {
    side: query.side,
    columns: {
      reference: query.referenceColumn,
      amount: query.amountColumn,
      currency: query.currencyColumn,
      date: query.dateColumn,
    },
    driftMinor: BigInt(query.driftMinor),
    grouping: { referenceDelimiter: query.referenceDelimiter ?? null, sumRepeated: query.sumRepeated === 'true' },
    dryRun: query.dryRun === 'true',
    ...(period ? { period } : {}),
    actor,
  });
}
