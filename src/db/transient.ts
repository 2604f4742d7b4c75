import { UnavailableError, ValidationError } from '../shared/errors';

/**
 * PostgreSQL error classes that mean "nothing was committed, the same transaction may simply be
 * run again": serialization failures and deadlocks (40xxx).
 */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
/** Errors after which the outcome is unknown or the server is away: answer "retry later". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '53300', '57014']);
/** numeric_value_out_of_range: a bucket would pass 2^63 minor units. */
const OUT_OF_RANGE_SQLSTATE = '22003';
/** How many times one transaction is attempted before giving up with a transient error. */
export const TRANSACTION_ATTEMPTS_MAX = 5;
const RETRY_BACKOFF_BASE_MS = 2;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Network-level failures of the driver (connection refused, reset, pool acquire timeout). */
function isConnectionFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  const code = sqlState(error);
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    /Connection terminated|Knex: Timeout acquiring a connection|Client has encountered a connection error/.test(message)
  );
}

/**
 * Runs one database transaction (or single-statement call), retrying it when PostgreSQL says the
 * attempt was rolled back for concurrency reasons. A lost connection becomes UnavailableError (the
 * transports answer "try again"), an overflowing amount a ValidationError; every other error passes
 * through unchanged.
 */
export async function callDatabase<T>(run: () => Promise<T>, onRetry: () => void = () => undefined): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const state = sqlState(error);
      if (state !== undefined && RETRYABLE_SQLSTATES.has(state) && attempt < TRANSACTION_ATTEMPTS_MAX) {
        onRetry();
        await sleep(RETRY_BACKOFF_BASE_MS * 2 ** attempt * Math.random());
        continue;
      }
      if ((state !== undefined && (UNAVAILABLE_SQLSTATES.has(state) || RETRYABLE_SQLSTATES.has(state))) || isConnectionFailure(error)) {
        throw new UnavailableError('the database is unavailable, retry later', { cause: String(error) });
      }
      if (state === OUT_OF_RANGE_SQLSTATE) throw new ValidationError('amount out of range for the account');
      throw error;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
