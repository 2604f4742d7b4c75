import { AppError, type ErrorCode } from '../../shared/errors';

/** An answer's status and data (or exact JSON text of its data). */
export interface ManagerAnswer {
  status: number;
  data?: unknown;
  /** Exact JSON text of `data` (event payloads keep their decimals); wins over `data`. */
  dataJson?: string;
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

/** Finance commands refuse a missing permission or an unknown account alike (seed 001). */
const PERMISSION_CODES: ReadonlySet<ErrorCode> = new Set([
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'FORBIDDEN',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_DISABLED',
]);
export const PERMISSION_MESSAGE = 'Invalid login or insufficient permissions';

/**
 * The answer for an error. `permissionError` is the command family's error name (`ADD_BALANCE_ERROR`
 * ...) used for permission refusals of finance commands.
 */
export function managerErrorAnswer(error: unknown, permissionError?: string): ManagerAnswer | undefined {
  if (!(error instanceof AppError)) return undefined;
  if (permissionError && PERMISSION_CODES.has(error.code)) {
    return { status: 401, data: { error: permissionError, message: PERMISSION_MESSAGE } };
  }
  const mapped = MANAGER_ERROR_BY_CODE[error.code];
  return { status: mapped.status, data: { error: mapped.error, message: error.message } };
}

export const INTERNAL_ERROR_ANSWER: ManagerAnswer = { status: 500, data: { error: 'INTERNAL', message: 'internal error' } };
