import { parseMinorUnits } from '../money/amount';
import { findCurrency, type Currency } from '../money/currency';
import {
  AccountBusyError,
  AccountDisabledError,
  CurrencyMismatchError,
  ForbiddenError,
  IdempotencyMismatchError,
  InsufficientFundsError,
  InvalidDigestError,
  InvalidTokenError,
  UnavailableError,
  ValidationError,
} from '../../shared/errors';
import { executeUnclaimed, LaneBatcher } from '../../shared/lane-batcher';
import type { AccountLanes } from '../accounts/account-lanes';
import { unreachableOutcome } from '../../shared/outcomes';
import { hashToken, newToken } from '../../shared/tokens';
import type { MoneyBatching } from '../../config';
import type { WalletOperation, WalletOperationKind, WalletOperationResult, WalletStore } from './wallet-store';

/**
 * v2 nonces are remembered (and replays refused) for this long, on every instance: the wallet engine
 * stores them, maintenance forgets older ones. It covers the signature's clock skew on either side.
 */
export const NONCE_RETENTION_S = 180;

/** Requests waiting in one lane, at most; beyond, a request is refused as transient (HTTP 503). */
export const WALLET_LANE_QUEUE_MAX = 4096;

/** What every successful wallet answer carries: the platform balance (balance + credit). */
export interface WalletBalance {
  login: bigint;
  currency: Currency;
  availableMinor: bigint;
}

export interface AuthenticatedWallet extends WalletBalance {
  walletToken: string;
}

export interface BalanceRequest {
  token: string;
  currency: string;
  amount?: string | undefined;
}

export interface TradeRequest {
  token: string;
  currency: string;
  amount: string;
  externalTradeType: string;
  externalTradeId: string;
  /** The platform's `data` as JSON text. */
  dataJson: string | null;
}

/**
 * The wallet's rules on the platform side: amounts read exactly in the request's currency, signs
 * checked, and the finance core's outcome turned into a result or a domain error. Money moves in
 * the wallet engine (wallet.sql).
 *
 * Concurrent requests are coalesced into few transactions: they are spread over `batching.lanes`
 * lanes (MONEY_LANES) by their token (one user's requests share a lane, in arrival order). A batch
 * never waits for an account that someone else holds locked (a slow transaction, an operator's psql):
 * those requests come back ACCOUNT_BUSY with nothing done and queue on their account's lane (AccountLanes), which waits
 * for the lock under ACCOUNT_LOCK_TIMEOUT_MS and then answers them, or fails them all as transient.
 * So one locked account costs only its own requests, and holds at most one pooled connection per
 * instance.
 * While money requests of a token wait there, the token's later ones queue behind them (its order).
 */
export class WalletService {
  private readonly lanes: LaneBatcher<WalletOperation, WalletOperationResult>;
  /** Tokens with requests on an account's lane, by token digest (hex): the account and how many. */
  private readonly waitingTokens = new Map<string, { login: bigint; count: number }>();

  private readonly walletTokenTtlS: number;

  constructor(
    private readonly store: WalletStore,
    private readonly accountLanes: AccountLanes<WalletOperation, WalletOperationResult>,
    options: { walletTokenTtlS: number; batching: MoneyBatching; onBatch?: (size: number) => void },
  ) {
    this.walletTokenTtlS = options.walletTokenTtlS;
    const { lanes, batchSizeMax } = options.batching;
    this.lanes = new LaneBatcher({
      // a token with money requests waiting for its account's lock takes its later ones behind them
      execute: (operations) =>
        executeUnclaimed(
          operations,
          (operation) => this.claimedByWaiting(operation),
          (free) => store.execute(free, false),
        ),
      laneOf: (operation) => operation.tokenHash.readUInt32BE(0) % lanes,
      batchSizeMax,
      queueLengthMax: WALLET_LANE_QUEUE_MAX,
      overloaded: () => new UnavailableError('the wallet is overloaded, retry later'),
      // another user's fault must not become this user's answer: only the database being away is shared
      onFailure: (error) => (error instanceof UnavailableError ? 'reject-batch' : 'split'),
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    });
  }

  async authenticate(launchToken: string, nonce: string | null): Promise<AuthenticatedWallet> {
    const walletToken = newToken();
    const result = await this.store.authenticate(
      nonce,
      hashToken(launchToken),
      hashToken(walletToken),
      this.walletTokenTtlS,
    );
    return { ...toBalance(result), walletToken };
  }

  async getBalance(request: BalanceRequest, nonce: string | null): Promise<WalletBalance> {
    const currency = this.requestCurrency(request.currency);
    const amountMinor = request.amount === undefined ? null : readAmount(request.amount, currency, 'positive');
    return this.run('balance', request.token, currency, amountMinor, null, nonce);
  }

  async openTrade(request: TradeRequest, nonce: string | null): Promise<WalletBalance> {
    const currency = this.requestCurrency(request.currency);
    return this.run('open', request.token, currency, readAmount(request.amount, currency, 'positive'), request, nonce);
  }

  async closeTrade(request: TradeRequest, nonce: string | null): Promise<WalletBalance> {
    const currency = this.requestCurrency(request.currency);
    return this.run(
      'close',
      request.token,
      currency,
      readAmount(request.amount, currency, 'zeroOrMore'),
      request,
      nonce,
    );
  }

  /** A currency we do not know cannot be the account's: the answer is CurrencyMismatch. */
  private requestCurrency(code: string): Currency {
    const currency = findCurrency(code);
    if (!currency) throw new CurrencyMismatchError(`currency ${code} is not supported`, { currency: code });
    return currency;
  }

  private async run(
    kind: WalletOperationKind,
    token: string,
    currency: Currency,
    amountMinor: bigint | null,
    trade: TradeRequest | null,
    nonce: string | null,
  ): Promise<WalletBalance> {
    const operation: WalletOperation = {
      kind,
      nonce,
      tokenHash: hashToken(token),
      currency: currency.code,
      amountMinor,
      tradeType: trade?.externalTradeType ?? null,
      tradeId: trade?.externalTradeId ?? null,
      dataJson: trade?.dataJson ?? null,
    };
    return toBalance(await this.submit(operation));
  }

  /**
   * ACCOUNT_BUSY for a money request whose token has requests waiting for the account's lock: it
   * waits behind them. A getbalance reads without locking: it never waits behind money requests.
   */
  private claimedByWaiting(operation: WalletOperation): WalletOperationResult | undefined {
    if (operation.kind === 'balance') return undefined;
    const waiting = this.waitingTokens.get(operation.tokenHash.toString('hex'));
    return waiting
      ? { outcome: 'ACCOUNT_BUSY', login: waiting.login, currency: null, availableMinor: null }
      : undefined;
  }

  private async submit(operation: WalletOperation): Promise<WalletOperationResult> {
    const result = this.claimedByWaiting(operation) ?? (await this.lanes.submit(operation));
    return result.outcome === 'ACCOUNT_BUSY' ? this.waitForAccount(result.login!, operation) : result;
  }

  private async waitForAccount(login: bigint, operation: WalletOperation): Promise<WalletOperationResult> {
    const token = operation.tokenHash.toString('hex');
    const waiting = this.waitingTokens.get(token) ?? { login, count: 0 };
    waiting.count += 1;
    this.waitingTokens.set(token, waiting);
    try {
      const result = await this.accountLanes.wallet(login, operation);
      if (result.outcome === 'ACCOUNT_BUSY')
        throw new Error('wallet_execute answered ACCOUNT_BUSY while waiting for the lock');
      return result;
    } finally {
      waiting.count -= 1;
      if (waiting.count === 0) this.waitingTokens.delete(token);
    }
  }
}

function readAmount(text: string, currency: Currency, sign: 'positive' | 'zeroOrMore'): bigint {
  const minor = parseMinorUnits(text, currency.scale);
  if (sign === 'positive' ? minor <= 0n : minor < 0n) {
    throw new ValidationError(`amount must be ${sign === 'positive' ? 'above zero' : 'zero or above'}`);
  }
  return minor;
}

/** Turns the engine's outcome into a balance, or into the domain error the transports understand. */
function toBalance(result: WalletOperationResult): WalletBalance {
  const balanceDetails = { availableMinor: result.availableMinor, currency: result.currency };
  switch (result.outcome) {
    case 'OK':
      return {
        login: result.login!,
        currency: findCurrency(result.currency!)!,
        availableMinor: result.availableMinor!,
      };
    case 'INVALID_DIGEST':
      throw new InvalidDigestError('the nonce was already used: replayed request');
    case 'INVALID_TOKEN':
      throw new InvalidTokenError('unknown or expired token');
    case 'ACCOUNT_DISABLED':
      throw new AccountDisabledError('the account is disabled');
    case 'FORBIDDEN':
      throw new ForbiddenError('the trade belongs to another user');
    case 'CURRENCY_MISMATCH':
      throw new CurrencyMismatchError(`the account's currency is ${result.currency}`, balanceDetails);
    case 'INSUFFICIENT_FUNDS':
      throw new InsufficientFundsError('the balance does not cover the amount', balanceDetails);
    case 'IDEMPOTENCY_MISMATCH':
      throw new IdempotencyMismatchError('this trade key was already used with different content');
    case 'ACCOUNT_BUSY':
      throw new AccountBusyError('the account is locked by another transaction; nothing was applied, retry later');
    default:
      return unreachableOutcome(result.outcome);
  }
}
