import {
  AdminClient,
  ConfigurationError,
  HttpJsonClient,
  ManagerApiClient,
  OperatorClient,
  WalletClient,
} from '@wallet-service/client';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from '../../support/test-service';
import { useSdkFixture } from './sdk-fixture';

/**
 * What the clients are constructed with: an unset environment variable (undefined), a URL without
 * its scheme or with a path, an empty key are refused at construction with a ConfigurationError that
 * names the client, the option and what is wrong, instead of Node's `TypeError: Invalid URL` or a
 * bearer key of "undefined" sent to the service. The forms a caller may give are accepted and reach
 * the real service.
 */
const fixture = useSdkFixture();
const unset = undefined as unknown as string;

/** The ConfigurationError `make` throws (anything else fails the test). */
function refusal(make: () => unknown): ConfigurationError {
  try {
    make();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw new Error(`expected a ConfigurationError, got ${String(error)}`);
  }
  throw new Error('expected a ConfigurationError, the client was made');
}

async function refusalOf(connecting: Promise<unknown>): Promise<ConfigurationError> {
  const error = await connecting.then(
    () => new Error('expected a ConfigurationError, the client connected'),
    (failure: unknown) => failure,
  );
  if (error instanceof ConfigurationError) return error;
  throw error;
}

const httpClients: Array<[string, (baseUrl: string) => unknown]> = [
  ['AdminClient', (baseUrl) => new AdminClient(baseUrl, TEST_ADMIN_KEY)],
  ['OperatorClient', (baseUrl) => new OperatorClient(baseUrl, TEST_OPERATOR_KEY)],
  ['WalletClient', (baseUrl) => new WalletClient(baseUrl, TEST_WALLET_SECRET)],
  ['HttpJsonClient', (baseUrl) => new HttpJsonClient(baseUrl)],
];

describe.each(httpClients)('%s refuses a baseUrl it cannot use, naming it', (client, make) => {
  it.each([
    [unset, 'baseUrl is missing (got undefined)'],
    ['', 'baseUrl is missing (got an empty string)'],
    ['127.0.0.1:8080', 'baseUrl "127.0.0.1:8080" is not a URL'],
    ['localhost:8080', 'baseUrl "localhost:8080" does not start with http:// or https://'],
    ['ftp://127.0.0.1:8080', 'baseUrl "ftp://127.0.0.1:8080" does not start with http:// or https://'],
    ['http://127.0.0.1:8080/wallet', 'baseUrl "http://127.0.0.1:8080/wallet" has a path, query or fragment'],
  ])('%p', (baseUrl, problem) => {
    const error = refusal(() => make(baseUrl));
    expect(error.option).toBe('baseUrl');
    expect(error.message).toContain(`${client}: ${problem}`);
    expect(error.message).toContain('such as http://127.0.0.1:8080');
  });
});

describe('credentials', () => {
  it('a missing or empty key or secret is refused, naming the option and the setting, never showing the value', () => {
    const base = fixture.target.baseUrl;
    expect(refusal(() => new AdminClient(base, unset))).toMatchObject({
      option: 'apiKey',
      message: expect.stringContaining('AdminClient: apiKey is missing (got undefined): give'),
    });
    expect(refusal(() => new AdminClient(base, ''))).toMatchObject({
      message: expect.stringContaining('(ADMIN_API_KEY)'),
    });
    expect(refusal(() => new OperatorClient(base, ''))).toMatchObject({
      option: 'apiKey',
      message: expect.stringContaining('(OPERATOR_API_KEY)'),
    });
    const wrongType = refusal(() => new AdminClient(base, 987_654_321 as unknown as string));
    expect(wrongType.message).toContain('a value of type number');
    expect(wrongType.message).not.toContain('987654321');
    expect(refusal(() => new WalletClient(base, unset))).toMatchObject({
      option: 'secret',
      message: expect.stringContaining('WALLET_SECRETS'),
    });
    expect(refusal(() => new WalletClient(base, TEST_WALLET_SECRET, { signing: 'v3' as 'v2' }))).toMatchObject({
      option: 'signing',
    });
  });

  it('the manager client refuses a port, login or password it cannot use before connecting', async () => {
    const good = { port: fixture.target.service.managerPort, login: 90_101, password: 'a-long-password-1' };
    expect(await refusalOf(ManagerApiClient.connect({ ...good, port: Number(unset) }))).toMatchObject({
      option: 'port',
      message: expect.stringContaining('ManagerApiClient: port must be a number from 1 to 65535 (got NaN)'),
    });
    expect(await refusalOf(ManagerApiClient.connect({ ...good, port: '8093' as unknown as number }))).toMatchObject({
      option: 'port',
      message: expect.stringContaining('(got "8093")'),
    });
    expect(await refusalOf(ManagerApiClient.connect({ ...good, host: '' }))).toMatchObject({ option: 'host' });
    expect(await refusalOf(ManagerApiClient.connect({ ...good, login: Number(unset) }))).toMatchObject({
      option: 'login',
    });
    expect(await refusalOf(ManagerApiClient.connect({ ...good, password: '' }))).toMatchObject({ option: 'password' });

    // the same options with the value mended do connect: each refusal was its option's
    await fixture.admin.createManager({ login: good.login, password: good.password, role: 'SESSION_MANAGER' });
    const manager = await ManagerApiClient.connect(good);
    expect(manager.role).toBe('SESSION_MANAGER');
    await manager.close();
  });
});

describe('accepted forms', () => {
  it('a base URL with a trailing slash reaches the service', async () => {
    const admin = new AdminClient(`${fixture.target.baseUrl}/`, TEST_ADMIN_KEY);
    const operator = new OperatorClient(`${fixture.target.baseUrl}/`, TEST_OPERATOR_KEY);
    try {
      const login = await fixture.account('USD', '5.00');
      expect(await admin.getAccount({ login })).toMatchObject({ login, balance: '5.00' });
      expect(await operator.createLaunchToken({ login })).toMatchObject({ token: expect.any(String) });
    } finally {
      admin.close();
      operator.close();
    }
  });
});
