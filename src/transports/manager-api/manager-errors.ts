import { AppError, type ErrorCode } from '../../shared/errors';

/** An answer's status and data (or exact JSON text of its data). */
export interface ManagerAnswer {
  status: number;
  data?: unknown;
  /** Exact JSON text of `data` (event payloads keep their decimals); wins over `data`. */
  dataJson?: string;
  /** Nothing is written: the connection closed before the answer was known. */
  unwritten?: true;
}

/**
 * The one mapping from the finance core's error codes to the manager API's answers
 * (`{status, data: {error, message}}`, ScaleTrade style).
 */
export const MANAGER_ERROR_BY_CODE: Record<ErrorCode, { status: number; error: string }> = {
  INVALID_REQUEST: { status: 400, error: 'INVALID_DATA' },
  CURRENCY_MISMATCH: { status: 400, error: 'INVALID_DATA' },
  INSUFFICIENT_FUNDS: { status: 400, error: 'NOT_ENOUGH_MONEY' },
  UNAUTHENTICATED: { status: 401, error: 'UNAUTHORIZED' },
  INVALID_TOKEN: { status: 401, error: 'UNAUTHORIZED' },
  INVALID_DIGEST: { status: 401, error: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, error: 'FORBIDDEN' },
  ACCOUNT_DISABLED: { status: 403, error: 'FORBIDDEN' },
  ACCOUNT_NOT_FOUND: { status: 404, error: 'NOT_FOUND' },
  RECORD_NOT_FOUND: { status: 404, error: 'NOT_FOUND' },
  ALREADY_EXISTS: { status: 409, error: 'DUPLICATE' },
  IDEMPOTENCY_MISMATCH: { status: 409, error: 'DUPLICATE' },
  TOO_MANY_ATTEMPTS: { status: 429, error: 'TOO_MANY_REQUESTS' },
  ACCOUNT_BUSY: { status: 503, error: 'ACCOUNT_BUSY' },
  UNAVAILABLE: { status: 503, error: 'UNAVAILABLE' },
};

/** Finance commands refuse a missing permission or an unknown account alike (docs/manager-api.md#permissions). */
const PERMISSION_CODES: ReadonlySet<ErrorCode> = new Set([
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'FORBIDDEN',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_DISABLED',
]);
export const PERMISSION_MESSAGE = 'Invalid login or insufficient permissions';
export const PERMISSION_STATUS = 401;

/**
 * The answer for an error. `permissionError` is the command family's error name (`ADD_BALANCE_ERROR`
 * ...) used for permission refusals of finance commands.
 */
export function managerErrorAnswer(error: unknown, permissionError?: string): ManagerAnswer | undefined {
  if (!(error instanceof AppError)) return undefined;
  return managerRefusal(error.code, error.message, permissionError);
}

/**
 * The answer of a refusal by its code and message: also what GetFinanceRecord names as the reason
 * of an order whose command was refused after its SYNC_TIMEOUT (the same error as its answer had).
 */
export function managerRefusal(
  code: ErrorCode,
  message: string,
  permissionError?: string,
): ManagerAnswer & { data: { error: string; message: string } } {
  if (permissionError && PERMISSION_CODES.has(code)) {
    return { status: PERMISSION_STATUS, data: { error: permissionError, message: PERMISSION_MESSAGE } };
  }
  const mapped = MANAGER_ERROR_BY_CODE[code];
  return { status: mapped.status, data: { error: mapped.error, message } };
}

/**
 * Refusals by the manager transport itself, not by the core: a line that is not a message (the
 * connection then closes), an unknown command, flow control, a failure of ours, and shutdown.
 */
export const MANAGER_PROTOCOL_ERRORS = {
  INVALID_DATA: 400,
  UNKNOWN_COMMAND: 400,
  DUPLICATE_EXTID: 409,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SHUTTING_DOWN: 503,
} as const;
export type ManagerProtocolError = keyof typeof MANAGER_PROTOCOL_ERRORS;

export function protocolErrorAnswer(error: ManagerProtocolError, message: string): ManagerAnswer {
  return { status: MANAGER_PROTOCOL_ERRORS[error], data: { error, message } };
}

export const INTERNAL_ERROR_ANSWER = protocolErrorAnswer('INTERNAL', 'internal error');

/** A Sync command whose connection closed while it waited: there is no one to answer (499 in the metrics). */
export const CONNECTION_CLOSED_ANSWER: ManagerAnswer = { status: 499, unwritten: true };

/**
 * A Sync command whose event did not come in time (docs/manager-api.md#sync-commands): the
 * operation may still complete.
 */
export const SYNC_TIMEOUT_STATUS = 504;

/** `kind` is the event channel's family (`trade` for trade:event); `order` is the one to look up. */
export function syncTimeoutAnswer(kind: string, order: bigint): ManagerAnswer {
  return { status: SYNC_TIMEOUT_STATUS, data: { error: 'SYNC_TIMEOUT', kind, order } };
}
