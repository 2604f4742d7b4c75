import { parseMinorUnits } from '../money/amount';
import { findCurrency, type Currency } from '../money/currency';
import {
  AccountDisabledError,
  CurrencyMismatchError,
  ForbiddenError,
  IdempotencyMismatchError,
  InsufficientFundsError,
  InvalidDigestError,
  InvalidTokenError,
  ValidationError,
} from '../shared/errors';
import { hashToken, newToken } from '../shared/tokens';
import { WalletBatcher } from './wallet-batcher';
import type { WalletOperation, WalletOperationKind, WalletOperationResult, WalletStore } from './wallet-store';

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
 * the wallet engine (wallet.sql), one transaction per request.
 */
export class WalletService {
  private readonly batcher: WalletBatcher<WalletOperation, WalletOperationResult>;

  constructor(
    private readonly store: WalletStore,
    private readonly walletTokenTtlS: number,
    onBatch: (size: number) => void = () => undefined,
  ) {
    // One user's requests share a lane (keyed by the token), so they are applied in arrival order.
    this.batcher = new WalletBatcher((operations) => store.execute(operations), (operation) => operation.tokenHash.readUInt32BE(0), onBatch);
  }

  async authenticate(launchToken: string, nonce: string | null): Promise<AuthenticatedWallet> {
    const walletToken = newToken();
    const result = await this.store.authenticate(nonce, hashToken(launchToken), hashToken(walletToken), this.walletTokenTtlS);
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
    return this.run('close', request.token, currency, readAmount(request.amount, currency, 'zeroOrMore'), request, nonce);
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
    return toBalance(await this.batcher.submit(operation));
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
      return { login: result.login!, currency: findCurrency(result.currency!)!, availableMinor: result.availableMinor! };
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
  }
}
