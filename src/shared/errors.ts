/**
 * The one error hierarchy of the service. The finance core throws these; each transport
 * (wallet HTTP, admin HTTP, manager TCP) maps `code` to its own wire format in exactly one
 * place (`src/transports/wallet-api/wallet-status.ts`, `src/transports/http/error-handler.ts`,
 * `src/transports/manager-api/manager-errors.ts`).
 */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'ACCOUNT_NOT_FOUND',
  'RECORD_NOT_FOUND',
  'ACCOUNT_DISABLED',
  'ALREADY_EXISTS',
  'IDEMPOTENCY_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'INVALID_TOKEN',
  'INVALID_DIGEST',
  'CURRENCY_MISMATCH',
  'TOO_MANY_ATTEMPTS',
  'ACCOUNT_BUSY',
  'UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  readonly code = 'INVALID_REQUEST';
}
export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED';
}
export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN';
}
export class AccountNotFoundError extends AppError {
  readonly code = 'ACCOUNT_NOT_FOUND';
  constructor(login: bigint | number | string) {
    super(`account ${login} does not exist`, { login: String(login) });
  }
}
export class RecordNotFoundError extends AppError {
  readonly code = 'RECORD_NOT_FOUND';
}
export class AccountDisabledError extends AppError {
  readonly code = 'ACCOUNT_DISABLED';
}
export class AlreadyExistsError extends AppError {
  readonly code = 'ALREADY_EXISTS';
}
/** An idempotency key (trade key, referenceId) reused with different content. */
export class IdempotencyMismatchError extends AppError {
  readonly code = 'IDEMPOTENCY_MISMATCH';
}
export class InsufficientFundsError extends AppError {
  readonly code = 'INSUFFICIENT_FUNDS';
}
export class InvalidTokenError extends AppError {
  readonly code = 'INVALID_TOKEN';
}
export class InvalidDigestError extends AppError {
  readonly code = 'INVALID_DIGEST';
}
export class CurrencyMismatchError extends AppError {
  readonly code = 'CURRENCY_MISMATCH';
}
export class TooManyAttemptsError extends AppError {
  readonly code = 'TOO_MANY_ATTEMPTS';
}
/**
 * The account was locked by another transaction for longer than ACCOUNT_LOCK_TIMEOUT_MS (a slow
 * transaction, an operator's psql, a long report), or too many requests queue on it: nothing was
 * applied, the caller may retry with the same key.
 */
export class AccountBusyError extends AppError {
  readonly code = 'ACCOUNT_BUSY';
}
/** A transient failure: nothing was changed, the caller may retry. */
export class UnavailableError extends AppError {
  readonly code = 'UNAVAILABLE';
}

/**
 * Why the service, the CLI or the migrate command could not start, in one line for the operator
 * that says what is wrong and how to fix it (printed without a stack; the exit code is non-zero).
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An environment variable or file the configuration names is wrong. */
export class ConfigError extends StartupError {}
