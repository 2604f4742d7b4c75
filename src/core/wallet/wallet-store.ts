import { bindings, type Database } from '../../db/database';
import { callDatabase } from '../../db/transient';
import { minorFromDb } from '../money/amount';
import { knownOutcome } from '../../shared/outcomes';

/** Finance-core outcomes of a wallet request (see wallet.sql). */
export const WALLET_OUTCOMES = [
  'OK',
  'INVALID_DIGEST',
  'INVALID_TOKEN',
  'ACCOUNT_DISABLED',
  'FORBIDDEN',
  'CURRENCY_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'IDEMPOTENCY_MISMATCH',
  /** The account was locked by someone else: nothing was done; run it again, waiting for the lock. */
  'ACCOUNT_BUSY',
] as const;
export type WalletOutcome = (typeof WALLET_OUTCOMES)[number];

export type WalletOperationKind = 'balance' | 'open' | 'close';

export interface WalletOperation {
  kind: WalletOperationKind;
  /** v2 nonce to consume with the request; null for legacy-signed requests. */
  nonce: string | null;
  tokenHash: Buffer;
  currency: string;
  amountMinor: bigint | null;
  tradeType: string | null;
  tradeId: string | null;
  /** The platform's `data` as JSON text, stored with the trade. */
  dataJson: string | null;
}

export interface WalletOperationResult {
  outcome: WalletOutcome;
  login: bigint | null;
  /** The account's currency (null when the token is unknown). */
  currency: string | null;
  /** balance + credit after the request (or as first answered, for a replay). */
  availableMinor: bigint | null;
}

export type AuthenticationResult = WalletOperationResult;

interface ResultRow {
  r_outcome: string;
  r_login: string | null;
  r_currency: string | null;
  r_available_minor: string | null;
}

/** The wallet's SQL: every call is one round trip to the wallet engine functions of wallet.sql. */
export class WalletStore {
  constructor(
    private readonly db: Database,
    private readonly onRetry: () => void = () => undefined,
    /** Called after a commit that may have written events (wakes the event relay). */
    private readonly onEventsCommitted: () => void = () => undefined,
  ) {}

  /**
   * Executes requests in one transaction; returns one result per request, in order. Without `wait`,
   * requests on an account locked by someone else are answered ACCOUNT_BUSY; with it, the
   * transaction waits for the lock (bounded by the session's lock_timeout).
   */
  async execute(operations: readonly WalletOperation[], wait: boolean): Promise<WalletOperationResult[]> {
    const { rows } = await callDatabase(
      () =>
        this.db.raw<{ rows: ResultRow[] }>(
          `SELECT * FROM wallet_execute(?::text[], ?::text[], ?::bytea[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::jsonb[], ?)`,
          bindings([
            operations.map((op) => op.kind),
            operations.map((op) => op.nonce),
            operations.map((op) => op.tokenHash),
            operations.map((op) => op.currency),
            operations.map((op) => op.amountMinor),
            operations.map((op) => op.tradeType),
            operations.map((op) => op.tradeId),
            operations.map((op) => op.dataJson),
            wait,
          ]),
        ),
      this.onRetry,
    );
    if (operations.some((op) => op.kind !== 'balance')) this.onEventsCommitted();
    if (rows.length !== operations.length) {
      throw new Error(`wallet_execute answered ${rows.length} results for ${operations.length} requests`);
    }
    return rows.map(toResult);
  }

  async authenticate(
    nonce: string | null,
    launchHash: Buffer,
    walletHash: Buffer,
    ttlS: number,
  ): Promise<AuthenticationResult> {
    const { rows } = await callDatabase(
      () =>
        this.db.raw<{ rows: ResultRow[] }>(
          `SELECT outcome AS r_outcome, login AS r_login, account_currency AS r_currency,
                  available_minor AS r_available_minor
             FROM wallet_authenticate(?, ?, ?, ?)`,
          bindings([nonce, launchHash, walletHash, ttlS]),
        ),
      this.onRetry,
    );
    return toResult(rows[0]!);
  }
}

function toResult(row: ResultRow): WalletOperationResult {
  return {
    outcome: knownOutcome(WALLET_OUTCOMES, row.r_outcome, 'wallet_execute'),
    login: row.r_login === null ? null : minorFromDb(row.r_login),
    currency: row.r_currency,
    availableMinor: row.r_available_minor === null ? null : minorFromDb(row.r_available_minor),
  };
}
