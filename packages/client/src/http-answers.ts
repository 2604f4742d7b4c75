import { ApiError, UncertainOutcomeError } from './errors';
import type { HttpJsonResponse } from './http-json';

/** Server errors (5xx) changed nothing or are answered from the stored outcome on a retry: uncertain, not refused. */
const SERVER_ERROR_STATUS_MIN = 500;

/**
 * The answer when it has the expected status; any other answer becomes the SDK's error: 5xx an
 * UncertainOutcomeError (retry with the same key), anything else an ApiError with the service's
 * `{error, message}`.
 */
export function expectStatus(response: HttpJsonResponse, expectedStatus: number, what: string): HttpJsonResponse {
  if (response.status === expectedStatus) return response;
  const { code, message } = errorBody(response);
  if (response.status >= SERVER_ERROR_STATUS_MIN) {
    throw new UncertainOutcomeError('unavailable', `${what}: HTTP ${response.status} ${code}: ${message}`, {
      httpStatus: response.status,
      code,
    });
  }
  throw new ApiError(code, response.status, `${what}: ${message}`);
}

/** The service's `{error, message}` (admin and operator APIs) or `{status, message}` (wallet 5xx), else the raw text. */
function errorBody(response: HttpJsonResponse): { code: string; message: string } {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<
    string,
    unknown
  >;
  const code =
    typeof body.error === 'string'
      ? body.error
      : typeof body.status === 'string'
        ? body.status
        : `HTTP_${response.status}`;
  const message = typeof body.message === 'string' ? body.message : response.text.slice(0, 500);
  return { code, message };
}
