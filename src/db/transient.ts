import { AccountBusyError, UnavailableError, ValidationError } from '../shared/errors';

/**
 * PostgreSQL error classes that mean "nothing was committed, the same transaction may simply be
 * run again": serialization failures and deadlocks (40xxx).
 */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
/**
 * The server refused or cancelled the work before anything was committed: answer "retry later".
 * 25006 (read-only transaction): the connection reached a server that is a standby, or one being
 * promoted at a failover, through the proxy; the next attempt finds the primary.
 */
const NOTHING_APPLIED_SQLSTATES = new Set(['57P03', '53300', '57014', '25006']);
/**
 * The connection died under a statement (the server shut down or crashed, the network failed): the
 * statement, and the commit it carried, may or may not have happened. Also "retry later", but the
 * answer says so: only an operation with a once-only key (trade key, referenceId) is safe to send
 * again blindly.
 */
const OUTCOME_UNKNOWN_SQLSTATES = new Set(['57P01', '57P02', '08000', '08003', '08006']);
export const NOTHING_APPLIED_MESSAGE = 'the database is unavailable; nothing was applied, retry later';
export const OUTCOME_UNKNOWN_MESSAGE =
  'the connection to the database was lost before its answer: the operation may or may not have been applied; retry it with the same once-only key (trade key, referenceId), which applies it at most once, or check the account before applying it again';
/** numeric_value_out_of_range: a bucket would pass 2^63 minor units. */
const OUT_OF_RANGE_SQLSTATE = '22003';
/** lock_not_available: lock_timeout fired while waiting for a row someone else holds. */
export const LOCK_TIMEOUT_SQLSTATE = '55P03';
/** check_violation, and the one account constraint a valid request can meet (migration 5). */
const CHECK_VIOLATION_SQLSTATE = '23514';
const SETTLEMENT_FITS_CONSTRAINT = 'accounts_settlement_fits';
/** How many times one transaction is attempted before giving up with a transient error. */
export const TRANSACTION_ATTEMPTS_MAX = 5;
const RETRY_BACKOFF_BASE_MS = 2;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Failures of the driver before a statement left: no connection to be had. A connection that fails
 * while it is being opened (reset, timed out, dropped by a proxy in a failover) cannot be told apart
 * from one lost under its statement, and is answered as an unknown outcome: the safe side.
 */
function isConnectFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (
    sqlState(error) === 'ECONNREFUSED' ||
    /Knex: Timeout acquiring a connection|Client has encountered a connection error/.test(message)
  );
}

/** Failures of the driver on an open connection, which may have been carrying a statement. */
function isConnectionLost(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  const code = sqlState(error);
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || /Connection terminated/.test(message);
}

/** What to tell the client when the database failed under the call; undefined when it was no outage. */
function unavailability(error: unknown, state: string | undefined): string | undefined {
  if ((state !== undefined && OUTCOME_UNKNOWN_SQLSTATES.has(state)) || isConnectionLost(error))
    return OUTCOME_UNKNOWN_MESSAGE;
  if (
    (state !== undefined && (NOTHING_APPLIED_SQLSTATES.has(state) || RETRYABLE_SQLSTATES.has(state))) ||
    isConnectFailure(error)
  ) {
    return NOTHING_APPLIED_MESSAGE;
  }
  return undefined;
}

/**
 * Runs one database statement (its own transaction: a call of an engine function), retrying it when
 * PostgreSQL says the attempt was rolled back for concurrency reasons. An unreachable server or a
 * lost connection becomes UnavailableError (the transports answer "try again", saying whether the
 * outcome is unknown), an overflowing amount a ValidationError; every other error passes through
 * unchanged.
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
      const unavailable = unavailability(error, state);
      if (unavailable !== undefined) throw new UnavailableError(unavailable, { cause: String(error) });
      if (state === LOCK_TIMEOUT_SQLSTATE) {
        throw new AccountBusyError('the account is locked by another transaction; nothing was applied, retry later');
      }
      if (
        state === OUT_OF_RANGE_SQLSTATE ||
        (state === CHECK_VIOLATION_SQLSTATE && constraintOf(error) === SETTLEMENT_FITS_CONSTRAINT)
      ) {
        throw new ValidationError(ACCOUNT_FUNDS_LIMIT_MESSAGE);
      }
      throw error;
    }
  }
}

/**
 * The limit of an account's funds (migration 5): balance + credit + 10,000 x held must fit in 64 bits,
 * so that a closetrade paying up to 10,000 times its stake can always be applied.
 */
export const SETTLEMENT_PAYOUT_STAKE_MULTIPLE = 10_000n;
export const ACCOUNT_FUNDS_LIMIT_MESSAGE = `the amount would take the account's funds past their limit (balance + credit + ${SETTLEMENT_PAYOUT_STAKE_MULTIPLE} x held must stay below 2^63 minor units)`;

function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
