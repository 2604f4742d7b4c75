import { randomBytes } from 'node:crypto';
import type { DecimalString, WalletAnswer } from './api-types';
import { ConfigurationError } from './errors';
import { expectStatus } from './http-answers';
import { HttpJsonClient, type HttpClientOptions, type HttpJsonResponse } from './http-json';
import { baseUrlOption, secretOption } from './options';
import { signLegacy, signV2 } from './wallet-signing';

export type WalletAction = 'authenticate' | 'getbalance' | 'opentrade' | 'closetrade';

/** `v2`: signature headers with a nonce (the platform's current scheme); `legacy`: the body `hash`. */
export type WalletSigning = 'v2' | 'legacy';

export interface WalletClientOptions extends HttpClientOptions {
  signing?: WalletSigning;
}

/** The definitive statuses (HTTP 200); `Unavailable` and `InternalError` come with a 5xx and are thrown as uncertain. */
export type WalletStatus = Exclude<WalletAnswer['status'], 'Unavailable' | 'InternalError'>;
export type WalletResult = Omit<WalletAnswer, 'status'> & { status: WalletStatus };
/** A refusal other than InsufficientFunds: nothing moved. */
export type WalletRefusal = WalletResult & { status: Exclude<WalletStatus, 'Ok' | 'InsufficientFunds'> };
export type AuthenticateResult =
  ({ status: 'Ok' } & Required<Pick<WalletAnswer, 'walletToken' | 'userId' | 'currency' | 'balance'>>) | WalletRefusal;
/** getbalance, opentrade, closetrade: the balance (balance + credit) after the call, also with InsufficientFunds. */
export type BalanceResult =
  | ({ status: 'Ok' | 'InsufficientFunds'; message?: string } & Required<Pick<WalletAnswer, 'balance' | 'currency'>>)
  | WalletRefusal;

export interface AuthenticateRequest {
  /** The single-use launch token of the operator API (OperatorClient.createLaunchToken); sent as the wire's `token`. */
  launchToken: string;
}

export interface BalanceRequest {
  /** The wallet token of authenticate. */
  token: string;
  currency: string;
  /** InsufficientFunds when the balance is below it. */
  amount?: DecimalString;
}

/** opentrade and closetrade; (externalTradeType, externalTradeId) is the trade's idempotency key. */
export interface TradeRequest {
  token: string;
  currency: string;
  /** The stake (opentrade, > 0) or what is paid back (closetrade, >= 0: stake + payout, 0 on a loss). */
  amount: DecimalString;
  externalTradeType: string;
  externalTradeId: string;
  /** Kept with the trade, not signed by the legacy scheme. */
  data?: unknown;
}

/**
 * The wallet API as the trading platform calls it: every request signed with the shared secret.
 * Each method answers the service's definitive result (its `status`, typed); a 5xx answer, a lost
 * connection or a timeout is thrown as an UncertainOutcomeError: resend the same request (same trade
 * key) with retryUncertain. Each attempt is signed anew (fresh timestamp and nonce).
 */
export class WalletClient {
  readonly http: HttpJsonClient;
  private readonly secret: string;
  private readonly signing: WalletSigning;

  /** Throws a ConfigurationError, naming the option, for a missing or malformed `baseUrl`, an empty `secret` or an unknown `signing`. */
  constructor(baseUrl: string, secret: string, options: WalletClientOptions = {}) {
    baseUrlOption('WalletClient', baseUrl);
    this.secret = secretOption('WalletClient', 'secret', secret, "one of the service's WALLET_SECRETS");
    if (options.signing !== undefined && options.signing !== 'v2' && options.signing !== 'legacy') {
      throw new ConfigurationError(
        'signing',
        `WalletClient: signing must be 'v2' or 'legacy' (got ${JSON.stringify(options.signing)})`,
      );
    }
    this.http = new HttpJsonClient(baseUrl, options);
    this.signing = options.signing ?? 'v2';
  }

  /** Exchanges a single-use launch token (operator API) for a wallet token. */
  authenticate({ launchToken }: AuthenticateRequest): Promise<AuthenticateResult> {
    return this.call('authenticate', { token: launchToken }) as Promise<AuthenticateResult>;
  }

  getBalance(request: BalanceRequest): Promise<BalanceResult> {
    return this.call('getbalance', { ...request }) as Promise<BalanceResult>;
  }

  /** Reserves the stake; a repeat of the same trade key and content answers the first result again. */
  openTrade(request: TradeRequest): Promise<BalanceResult> {
    return this.call('opentrade', { ...request }) as Promise<BalanceResult>;
  }

  /** Settles the trade: releases its stake and pays `amount`; once per trade key. */
  closeTrade(request: TradeRequest): Promise<BalanceResult> {
    return this.call('closetrade', { ...request }) as Promise<BalanceResult>;
  }

  /** Any wallet action with the fields as given (tests send malformed ones too). */
  async call(action: WalletAction, fields: Record<string, unknown>): Promise<WalletResult> {
    return expectStatus(await this.send(action, fields), 200, `wallet ${action}`).body as WalletResult;
  }

  /** Signs and sends; the raw HTTP response, whatever its status. */
  send(action: WalletAction, fields: Record<string, unknown>, timeoutMs?: number): Promise<HttpJsonResponse> {
    const path = `/wallet/${action}`;
    if (this.signing === 'legacy') {
      const texts = Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : JSON.stringify(value),
        ]),
      );
      const body = JSON.stringify({ ...fields, hash: signLegacy(this.secret, texts) });
      return this.http.request('POST', path, body, {}, timeoutMs);
    }
    const body = JSON.stringify(fields);
    const headers = signV2(
      this.secret,
      'POST',
      path,
      body,
      Math.floor(Date.now() / 1000),
      randomBytes(16).toString('hex'),
    );
    return this.http.request('POST', path, body, headers, timeoutMs);
  }

  close(): void {
    this.http.close();
  }
}
