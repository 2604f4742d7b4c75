/**
 * Clients of the wallet service, for integrators, tools and tests alike: the wallet API signed as the
 * trading platform signs it, plain JSON over HTTP (operator and admin APIs), and the manager TCP API.
 */
export { HttpJsonClient, type HttpJsonResponse } from './http-json';
export { ManagerClient, type ManagerAnswer, type ManagerEvent } from './manager-client';
export { WalletClient, type WalletAction, type WalletAnswer } from './wallet-client';
export { legacyCanonicalString, signLegacy, signV2, v2CanonicalString } from './wallet-signing';
