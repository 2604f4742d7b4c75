import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type ErrorCode } from '../../shared/errors';
import { isBodyReadError } from './body';
import { noteRequestFailure } from './request-log';

/**
 * The one mapping from the finance core's error codes to the admin/operator HTTP error format
 * `{error, message}` (docs/admin-api.md#errors).
 */
export const HTTP_ERROR_BY_CODE: Record<ErrorCode, { status: number; error: string }> = {
  INVALID_REQUEST: { status: 400, error: 'INVALID_REQUEST' },
  CURRENCY_MISMATCH: { status: 400, error: 'INVALID_REQUEST' },
  INVALID_TOKEN: { status: 401, error: 'UNAUTHORIZED' },
  INVALID_DIGEST: { status: 401, error: 'UNAUTHORIZED' },
  UNAUTHENTICATED: { status: 401, error: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, error: 'FORBIDDEN' },
  ACCOUNT_DISABLED: { status: 403, error: 'ACCOUNT_DISABLED' },
  ACCOUNT_NOT_FOUND: { status: 404, error: 'ACCOUNT_NOT_FOUND' },
  RECORD_NOT_FOUND: { status: 404, error: 'NOT_FOUND' },
  ALREADY_EXISTS: { status: 409, error: 'CONFLICT' },
  IDEMPOTENCY_MISMATCH: { status: 409, error: 'CONFLICT' },
  INSUFFICIENT_FUNDS: { status: 422, error: 'INSUFFICIENT_FUNDS' },
  TOO_MANY_ATTEMPTS: { status: 429, error: 'TOO_MANY_REQUESTS' },
  ACCOUNT_BUSY: { status: 503, error: 'ACCOUNT_BUSY' },
  UNAVAILABLE: { status: 503, error: 'UNAVAILABLE' },
};

export function sendError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

export function apiErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (res.headersSent) {
      // A streamed report failed midway: the status is gone, so cut the response short.
      noteRequestFailure(res, error); // its access-log line (aborted) carries it
      res.destroy();
      return;
    }
    if (isBodyReadError(error)) {
      sendError(res, error.status === 413 ? 413 : 400, 'INVALID_REQUEST', error.message);
      return;
    }
    if (error instanceof AppError) {
      const mapped = HTTP_ERROR_BY_CODE[error.code];
      const retryAfterS = error.details.retryAfterS;
      if (typeof retryAfterS === 'number') res.setHeader('Retry-After', String(retryAfterS));
      sendError(res, mapped.status, mapped.error, error.message);
      return;
    }
    noteRequestFailure(res, error); // its access-log line (status 500, at error) carries it
    sendError(res, 500, 'INTERNAL', 'internal error');
  };
}
