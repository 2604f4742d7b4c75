import type { ErrorCode } from '../../shared/errors';

/** The platform-facing statuses (docs/wallet-api.md#statuses). */
export const WALLET_STATUSES = [
  'Ok',
  'InsufficientFunds',
  'InvalidDigest',
  'InvalidToken',
  'Unauthorized',
  'CurrencyMismatch',
  'InvalidRequest',
  'DuplicateTransaction',
] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

/**
 * The one mapping from the finance core's error codes to wallet statuses. Codes mapped to
 * `undefined` are not definitive: they are answered with HTTP 5xx so that the platform retries.
 */
export const WALLET_STATUS_BY_CODE: Record<ErrorCode, WalletStatus | undefined> = {
  INVALID_REQUEST: 'InvalidRequest',
  UNAUTHENTICATED: 'InvalidDigest',
  INVALID_DIGEST: 'InvalidDigest',
  INVALID_TOKEN: 'InvalidToken',
  ACCOUNT_NOT_FOUND: 'InvalidToken',
  RECORD_NOT_FOUND: 'InvalidRequest',
  FORBIDDEN: 'Unauthorized',
  ACCOUNT_DISABLED: 'Unauthorized',
  CURRENCY_MISMATCH: 'CurrencyMismatch',
  INSUFFICIENT_FUNDS: 'InsufficientFunds',
  IDEMPOTENCY_MISMATCH: 'DuplicateTransaction',
  ALREADY_EXISTS: 'DuplicateTransaction',
  TOO_MANY_ATTEMPTS: undefined,
  ACCOUNT_BUSY: undefined,
  UNAVAILABLE: undefined,
};
