/**
 * @wallet-service/client: the SDK of the wallet service, for integrators, tools and tests alike.
 * The wallet API signed as the trading platform signs it, the operator and admin APIs (types
 * generated from the service's OpenAPI document), the manager TCP API, and retries of uncertain calls.
 */
export { AdminClient } from './admin-client';
export type * from './api-types';
export {
  ApiError,
  ConfigurationError,
  RetriesExhaustedError,
  UncertainOutcomeError,
  WalletServiceError,
  type UncertainReason,
} from './errors';
export { EventBufferOverflowError } from './event-stream';
export { HttpJsonClient, type HttpClientOptions, type HttpJsonResponse } from './http-json';
export {
  DEFAULT_RECONNECT_LIMITS,
  ManagerApiClient,
  type ManagerApiClientOptions,
  type ReconnectLimits,
} from './manager-api-client';
export {
  ManagerClient,
  type ManagerAnswer,
  type ManagerCommandOptions,
  type ManagerConnectOptions,
  type ManagerEvent,
} from './manager-client';
export {
  isFinanceRecord,
  ProtocolError,
  STATE_REQUEST_PENDING,
  STATE_REQUEST_REFUSED,
  type FinanceAcknowledgement,
  type FinanceCommand,
  type FinanceRecord,
  type FinanceRecordLookup,
  type FinanceRecordRequest,
  type FinanceRequestPending,
  type FinanceRequestRefused,
  type LoginResult,
  type TradeEvent,
  type TradeEventType,
  type ManagerTransactionsQuery,
} from './manager-types';
export { OperatorClient } from './operator-client';
export { DEFAULT_RETRY_LIMITS, retryUncertain, type RetryLimits } from './retry';
export {
  WalletClient,
  type AuthenticateRequest,
  type AuthenticateResult,
  type BalanceRequest,
  type BalanceResult,
  type TradeRequest,
  type WalletAction,
  type WalletClientOptions,
  type WalletRefusal,
  type WalletResult,
  type WalletSigning,
  type WalletStatus,
} from './wallet-client';
export { legacyCanonicalString, signLegacy, signV2, v2CanonicalString } from './wallet-signing';
