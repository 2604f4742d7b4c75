/**
 * The two ways a call of the SDK fails, so that a caller can tell "refused" from "unknown":
 * an ApiError is a definitive answer (nothing to retry: the service said no), an
 * UncertainOutcomeError means the service's answer was not received or was "retry later", and the
 * same call (same trade key, referenceId or order) may be sent again (see retryUncertain).
 */

/** Why an outcome is uncertain: no answer (network), no answer in time, or a transient refusal. */
export type UncertainReason = 'network' | 'timeout' | 'unavailable';

export class WalletServiceError extends Error {
  override name = 'WalletServiceError';
}

/**
 * A client was given an option it cannot work with (a missing or malformed base URL, an empty key,
 * a port out of range): thrown at construction, before anything is sent, naming the option.
 */
export class ConfigurationError extends WalletServiceError {
  override name = 'ConfigurationError';

  constructor(
    /** The option as the caller names it: `baseUrl`, `apiKey`, `secret`, `port`... */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** A definitive refusal: the service's error code (`ACCOUNT_NOT_FOUND`, `NOT_ENOUGH_MONEY`...) and status. */
export class ApiError extends WalletServiceError {
  override name = 'ApiError';

  constructor(
    readonly code: string,
    /** The HTTP status, or the manager API's HTTP-like status. */
    readonly httpStatus: number,
    message: string,
  ) {
    super(`${code} (${httpStatus}): ${message}`);
  }
}

/**
 * The call may or may not have been applied (no answer), or was refused for now with nothing applied
 * (HTTP 5xx, ACCOUNT_BUSY, SYNC_TIMEOUT). Resending it with the same idempotency key is safe.
 */
export class UncertainOutcomeError extends WalletServiceError {
  override name = 'UncertainOutcomeError';

  constructor(
    readonly reason: UncertainReason,
    message: string,
    readonly details: { httpStatus?: number; code?: string; order?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}

/** retryUncertain gave up: still uncertain after its attempts or its time; `cause` is the last failure. */
export class RetriesExhaustedError extends UncertainOutcomeError {
  override name = 'RetriesExhaustedError';

  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    last: UncertainOutcomeError,
  ) {
    super(last.reason, `still uncertain after ${attempts} attempts in ${elapsedMs} ms: ${last.message}`, {
      ...last.details,
      cause: last,
    });
  }
}
