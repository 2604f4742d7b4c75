import { HttpJsonClient, type HttpJsonResponse } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import type { ServiceOptions } from '../../src/app/service';
import {
  ledgerDiscrepancies,
  startTestService,
  TEST_ADMIN_KEY,
  TEST_OPERATOR_KEY,
  TEST_WALLET_SECRET,
  type TestService,
} from './test-service';

/** Clients of a test service's HTTP APIs with the test credentials, plus common set-up steps. */
export class TestApi {
  readonly http: HttpJsonClient;
  readonly wallet: WalletClient;
  private nextLogin = 1000;
  private consoleUsers = 0;

  constructor(readonly target: TestService) {
    this.http = new HttpJsonClient(target.baseUrl);
    this.wallet = new WalletClient(target.baseUrl, TEST_WALLET_SECRET);
  }

  admin(method: string, path: string, body?: unknown, key = TEST_ADMIN_KEY): Promise<HttpJsonResponse> {
    return this.http.request(method, path, body === undefined ? null : JSON.stringify(body), {
      Authorization: `Bearer ${key}`,
    });
  }

  operator(method: string, path: string, body?: unknown, key = TEST_OPERATOR_KEY): Promise<HttpJsonResponse> {
    return this.http.request(method, path, body === undefined ? null : JSON.stringify(body), {
      Authorization: `Bearer ${key}`,
    });
  }

  /** A new account with a login unique within this test file. */
  async createAccount(currency = 'USD', login = this.takeLogin()): Promise<number> {
    const response = await this.admin('POST', '/admin/accounts', { login, currency, name: `user ${login}` });
    if (response.status !== 201) throw new Error(`account creation failed: ${response.text}`);
    return login;
  }

  async balanceOperation(
    login: number,
    operation: string,
    amount: string,
    referenceId?: string,
  ): Promise<HttpJsonResponse> {
    return this.admin('POST', '/admin/balance', { accountId: login, operation, amount, referenceId });
  }

  async deposit(login: number, amount: string): Promise<void> {
    const response = await this.balanceOperation(login, 'add', amount);
    if (response.status !== 200) throw new Error(`deposit failed: ${response.text}`);
  }

  async launchToken(login: number): Promise<string> {
    const response = await this.operator('POST', '/operator/launch-tokens', { login });
    if (response.status !== 201) throw new Error(`launch failed: ${response.text}`);
    return (response.body as { token: string }).token;
  }

  /** Launch + authenticate: the wallet token the platform uses for this user. */
  async walletToken(login: number): Promise<string> {
    const answer = await this.wallet.call('authenticate', { token: await this.launchToken(login) });
    if (answer.status !== 'Ok' || !answer.walletToken)
      throw new Error(`authenticate failed: ${JSON.stringify(answer)}`);
    return answer.walletToken;
  }

  /** A funded account and its wallet token. */
  async player(deposit = '1000.00', currency = 'USD'): Promise<{ login: number; token: string }> {
    const login = await this.createAccount(currency);
    if (deposit !== '0') await this.deposit(login, deposit);
    return { login, token: await this.walletToken(login) };
  }

  async account(login: number): Promise<Record<string, string>> {
    const response = await this.admin('GET', `/admin/accounts/${login}`);
    if (response.status !== 200) throw new Error(`account read failed: ${response.text}`);
    return response.body as Record<string, string>;
  }

  /**
   * A console session of a new user with `role` (created through the admin API): its cookie value
   * and the CSRF token its POSTs must carry.
   */
  async consoleSession(
    role: 'viewer' | 'finance' | 'admin' = 'admin',
  ): Promise<{ username: string; password: string; cookie: string; csrf: string }> {
    this.consoleUsers += 1;
    const username = `${role}-${this.consoleUsers}`;
    const password = `password of ${username}, long enough`;
    const created = await this.admin('POST', '/admin/users', { username, password, role });
    if (created.status !== 201) throw new Error(`console user not created: ${created.text}`);
    const signedIn = await this.http.request(
      'POST',
      '/console/login',
      `username=${username}&password=${encodeURIComponent(password)}`,
      { 'Content-Type': 'application/x-www-form-urlencoded' },
    );
    const cookie = /^wallet_console_session=([^;]+)/.exec(signedIn.headers['set-cookie']?.[0] ?? '')?.[1];
    if (!cookie) throw new Error(`console sign-in failed: ${signedIn.status} ${signedIn.text}`);
    const page = await this.http.request('GET', '/console/accounts', null, {
      Cookie: `wallet_console_session=${cookie}`,
    });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
    if (!csrf) throw new Error('no CSRF token on the console page');
    return { username, password, cookie, csrf };
  }

  takeLogin(): number {
    this.nextLogin += 1;
    return this.nextLogin;
  }

  close(): void {
    this.http.close();
    this.wallet.close();
  }
}

/**
 * The usual hooks of a test file: one service for the file and its TestApi, handed to `started`
 * (`useTestService((started) => ({ target, api } = started))`), the ledger invariants checked
 * after every test, and everything stopped at the end.
 */
export function useTestService(
  started: (context: { target: TestService; api: TestApi }) => void,
  options: ServiceOptions = {},
): void {
  let target: TestService | undefined;
  let api: TestApi | undefined;
  beforeAll(async () => {
    target = await startTestService({}, undefined, options);
    api = new TestApi(target);
    started({ target, api });
  });
  afterEach(async () => {
    expect(await ledgerDiscrepancies(target!.sql)).toEqual([]);
  });
  afterAll(async () => {
    api?.close();
    await target?.stop();
  });
}
