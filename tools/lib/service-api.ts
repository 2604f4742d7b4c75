/**
 * The service's admin, operator and wallet APIs with the benchmark's credentials: the same calls a
 * back office, an operator backend and a trading platform make.
 *
 * Set-up calls are made safe to repeat (a deposit carries a referenceId, an account that exists
 * after a lost answer is ours: the database is fresh), so that one connection reset among 40,000
 * set-up requests is retried instead of failing the run.
 */
import { HttpJsonClient, type HttpJsonResponse } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import { sleep, withTimeout } from './concurrency';
import type { ServiceCredentials } from './service-process';

/** One set-up request may wait this long (the service queues for its pool under load). */
const SETUP_REQUEST_TIMEOUT_MS = 30_000;
/** Attempts of one set-up step when the connection fails (not when the service answers an error). */
const SETUP_ATTEMPTS_MAX = 3;
const SETUP_RETRY_PAUSE_MS = 200;
/** Errors of the socket, not of the service: the request may or may not have been processed. */
const CONNECTION_ERROR = /ECONNRESET|EPIPE|ECONNREFUSED|socket hang up/;

export class ServiceApi {
  readonly http: HttpJsonClient;
  readonly wallet: WalletClient;

  constructor(
    baseUrl: string,
    private readonly credentials: ServiceCredentials,
    maxSockets: number,
  ) {
    this.http = new HttpJsonClient(baseUrl, { maxSockets });
    this.wallet = new WalletClient(baseUrl, credentials.walletSecret, { maxSockets });
  }

  /** Creates the account; a 409 on a retry means our first attempt did create it. */
  createAccount(login: number, currency: string): Promise<void> {
    return retryOnConnectionError(async (attempt) => {
      const body = { login, currency, name: `bench ${login}` };
      const response = await this.call('POST', '/admin/accounts', body, this.credentials.adminApiKey);
      if (attempt > 1 && response.status === 409) return;
      expectStatus(response, 201, `create account ${login}`);
    });
  }

  /** An `add` with a referenceId: applied once however often it is retried. */
  deposit(login: number, amount: string): Promise<void> {
    const body = {
      accountId: login,
      operation: 'add',
      amount,
      comment: 'benchmark funding',
      referenceId: `bench-deposit-${login}`,
    };
    return retryOnConnectionError(async () => {
      expectStatus(
        await this.call('POST', '/admin/balance', body, this.credentials.adminApiKey),
        200,
        `deposit to ${login}`,
      );
    });
  }

  /** A manager of the manager TCP API (POST /admin/managers); a 409 on a retry means our first attempt did create it. */
  createManager(login: number, password: string, role: string): Promise<void> {
    return retryOnConnectionError(async (attempt) => {
      const response = await this.call(
        'POST',
        '/admin/managers',
        { login, password, role },
        this.credentials.adminApiKey,
      );
      if (attempt > 1 && response.status === 409) return;
      expectStatus(response, 201, `create manager ${login}`);
    });
  }

  async launchToken(login: number): Promise<string> {
    const response = await this.call('POST', '/operator/launch-tokens', { login }, this.credentials.operatorApiKey);
    expectStatus(response, 201, `launch token for ${login}`);
    return (response.body as { token: string }).token;
  }

  /** Launch + authenticate: the wallet token the platform would use (a retry starts from a new launch token). */
  walletToken(login: number): Promise<string> {
    return retryOnConnectionError(async () => {
      const launch = await this.launchToken(login);
      const answer = await withTimeout(
        this.wallet.call('authenticate', { token: launch }),
        SETUP_REQUEST_TIMEOUT_MS,
        'authenticate',
      );
      if (answer.status !== 'Ok' || !answer.walletToken)
        throw new Error(`authenticate ${login} failed: ${JSON.stringify(answer)}`);
      return answer.walletToken;
    });
  }

  close(): void {
    this.http.close();
    this.wallet.close();
  }

  private async call(method: string, path: string, body: unknown, key: string): Promise<HttpJsonResponse> {
    const request = this.http.request(method, path, JSON.stringify(body), { Authorization: `Bearer ${key}` });
    try {
      return await withTimeout(request, SETUP_REQUEST_TIMEOUT_MS, `${method} ${path}`);
    } catch (error) {
      throw new Error(`${method} ${path} ${JSON.stringify(body)}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

async function retryOnConnectionError<T>(step: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step(attempt);
    } catch (error) {
      if (attempt >= SETUP_ATTEMPTS_MAX || !CONNECTION_ERROR.test(errorMessage(error))) throw error;
      process.stderr.write(`set-up: retrying after ${errorMessage(error)}\n`);
      await sleep(SETUP_RETRY_PAUSE_MS);
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function expectStatus(response: HttpJsonResponse, expected: number, what: string): void {
  if (response.status !== expected) throw new Error(`${what}: HTTP ${response.status} ${response.text.slice(0, 300)}`);
}
