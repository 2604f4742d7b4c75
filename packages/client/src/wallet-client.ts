import { randomBytes } from 'node:crypto';
import { signLegacy, signV2 } from './wallet-signing';
import { HttpJsonClient, type HttpJsonResponse } from './http-json';

export type WalletAction = 'authenticate' | 'getbalance' | 'opentrade' | 'closetrade';

export interface WalletAnswer {
  status: string;
  balance?: string;
  currency?: string;
  message?: string;
  walletToken?: string;
  userId?: string;
}

/**
 * Calls the wallet API the way a trading platform does: every request signed with the shared
 * secret (v2 headers by default, or the legacy body hash).
 */
export class WalletClient {
  readonly http: HttpJsonClient;

  constructor(
    baseUrl: string,
    private readonly secret: string,
    private readonly scheme: 'v2' | 'legacy' = 'v2',
    maxSockets = 64,
  ) {
    this.http = new HttpJsonClient(baseUrl, maxSockets);
  }

  async call(action: WalletAction, fields: Record<string, unknown>): Promise<WalletAnswer> {
    const response = await this.send(action, fields);
    if (response.status !== 200) throw new Error(`wallet ${action} answered HTTP ${response.status}: ${response.text}`);
    return response.body as WalletAnswer;
  }

  /** Signs and sends; returns the raw HTTP response (tests look at 5xx and headers too). */
  send(action: WalletAction, fields: Record<string, unknown>, timeoutMs?: number): Promise<HttpJsonResponse> {
    const path = `/wallet/${action}`;
    if (this.scheme === 'legacy') {
      const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
      const body = JSON.stringify({ ...fields, hash: signLegacy(this.secret, texts) });
      return this.http.request('POST', path, body, {}, timeoutMs);
    }
    const body = JSON.stringify(fields);
    const headers = signV2(this.secret, 'POST', path, body, Math.floor(Date.now() / 1000), randomBytes(16).toString('hex'));
    return this.http.request('POST', path, body, headers, timeoutMs);
  }

  close(): void {
    this.http.close();
  }
}
