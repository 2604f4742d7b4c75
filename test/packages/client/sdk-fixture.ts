import { AdminClient, OperatorClient, WalletClient, type DecimalString } from '@wallet-service/client';
import {
  ledgerDiscrepancies,
  startTestService,
  TEST_ADMIN_KEY,
  TEST_OPERATOR_KEY,
  TEST_WALLET_SECRET,
  type TestService,
} from '../../support/test-service';

/** The SDK's HTTP clients on a real test service, with the test credentials. */
export interface SdkFixture {
  target: TestService;
  admin: AdminClient;
  operator: OperatorClient;
  wallet: WalletClient;
  /** A new account (unique login in this file), funded with `deposit` when it is not '0'. */
  account(currency?: string, deposit?: DecimalString): Promise<number>;
  /** A funded account and the wallet token of its launch + authenticate. */
  player(deposit?: DecimalString): Promise<{ login: number; token: string }>;
}

/**
 * One service for the test file, the ledger invariants checked after every test, everything stopped
 * at the end; `env` configures the service (shorter lock timeouts...).
 */
export function useSdkFixture(env: Record<string, string> = {}): SdkFixture {
  let nextLogin = 70_000;
  const fixture = {} as SdkFixture;
  beforeAll(async () => {
    const target = await startTestService(env);
    const admin = new AdminClient(target.baseUrl, TEST_ADMIN_KEY);
    const operator = new OperatorClient(target.baseUrl, TEST_OPERATOR_KEY);
    const wallet = new WalletClient(target.baseUrl, TEST_WALLET_SECRET);
    const account = async (currency = 'USD', deposit: DecimalString = '0') => {
      const { login } = await admin.createAccount({ login: (nextLogin += 1), currency, name: `sdk ${nextLogin}` });
      if (deposit !== '0')
        await admin.applyBalanceOperation({
          accountId: login,
          operation: 'add',
          amount: deposit,
          referenceId: `fund-${login}`,
        });
      return login;
    };
    const player = async (deposit: DecimalString = '1000.00') => {
      const login = await account('USD', deposit);
      const authenticated = await wallet.authenticate({
        launchToken: (await operator.createLaunchToken({ login })).token,
      });
      if (authenticated.status !== 'Ok') throw new Error(`authenticate: ${JSON.stringify(authenticated)}`);
      return { login, token: authenticated.walletToken };
    };
    Object.assign(fixture, { target, admin, operator, wallet, account, player });
  });
  afterEach(async () => {
    expect(await ledgerDiscrepancies(fixture.target.sql)).toEqual([]);
  });
  afterAll(async () => {
    fixture.admin?.close();
    fixture.operator?.close();
    fixture.wallet?.close();
    await fixture.target?.stop();
  });
  return fixture;
}
