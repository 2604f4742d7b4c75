import { Readable } from 'node:stream';
import { z } from 'zod';
import { DEFAULT_COLUMNS } from '../../core/reconciliation/matching';
import type { MatchReport, MatchService } from '../../core/reconciliation/match-service';
import type { Period } from '../../core/reconciliation/reconciliation-store';

/** Largest uploaded file for matching, in bytes. */
export const MATCH_UPLOAD_BYTES_MAX = 20 * 1024 * 1024;

const columnName = z.string().trim().min(1).max(100);

/** The options of a match upload, as query parameters (shared by the admin API and the console). */
export const matchQueryFields = {
  side: z.enum(['finance-records', 'trades']).default('finance-records'),
  dryRun: z.enum(['true', 'false']).default('true'),
  driftMinor: z.coerce.number().int().min(0).max(1e12).default(0),
  referenceColumn: columnName.default(DEFAULT_COLUMNS.reference),
  amountColumn: columnName.default(DEFAULT_COLUMNS.amount),
  currencyColumn: columnName.default(DEFAULT_COLUMNS.currency),
  dateColumn: columnName.default(DEFAULT_COLUMNS.date),
};

type MatchQuery = z.output<z.ZodObject<typeof matchQueryFields>>;

/** Runs a match on an uploaded body (raw bytes) with the parsed query's options. */
export function matchUpload(matching: MatchService, body: unknown, query: MatchQuery, period: Period | undefined): Promise<MatchReport> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  return matching.match(Readable.from([bytes]), {
    side: query.side,
    columns: { reference: query.referenceColumn, amount: query.amountColumn, currency: query.currencyColumn, date: query.dateColumn },
    driftMinor: BigInt(query.driftMinor),
    dryRun: query.dryRun === 'true',
    ...(period ? { period } : {}),
  });
}
