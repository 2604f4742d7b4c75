import { readFileSync } from 'node:fs';
import { ManagerApiClient, UncertainOutcomeError } from '@wallet-service/client';
import { useSdkFixture } from './sdk-fixture';

/** The SDK's manager client over TLS, against the service configured with a certificate (test/fixtures/tls). */
const CERT_FILE = 'test/fixtures/tls/localhost.crt';
const fixture = useSdkFixture({
  MANAGER_TLS_CERT_FILE: CERT_FILE,
  MANAGER_TLS_KEY_FILE: 'test/fixtures/tls/localhost.key',
});
const MANAGER = { login: 97_001, password: 'manager-password-tls' };
const ONE_ATTEMPT = { reconnect: { attemptsMax: 1 }, connectTimeoutMs: 2_000, commandTimeoutMs: 2_000 };

beforeAll(async () => {
  await fixture.admin.createManager({ ...MANAGER, role: 'SESSION_MANAGER' });
});

it('logs in, moves money and receives events over TLS when the certificate is trusted', async () => {
  const login = await fixture.account('USD');
  const manager = await ManagerApiClient.connect({
    port: fixture.target.service.managerPort,
    ...MANAGER,
    tls: { ca: readFileSync(CERT_FILE) },
  });
  try {
    const events = await manager.subscribe();
    expect(await manager.balanceInSync({ login, amount: '42.00', referenceId: `tls-${login}` })).toMatchObject({
      login,
      cmd: 6,
      profit: '42.00',
    });
    expect((await events.next()).value).toMatchObject({ type: 'EV_RECORD_ADD', data: { login, profit: '42.00' } });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '42.00' });
  } finally {
    await manager.close();
  }
});

it('refuses a certificate it does not trust without retrying, and plain TCP gets no session', async () => {
  // five attempts allowed, and a backoff between them: the refusal comes at once, from the first
  const startedAtMs = Date.now();
  const untrusted = ManagerApiClient.connect({
    port: fixture.target.service.managerPort,
    ...MANAGER,
    tls: {},
    reconnect: { attemptsMax: 5, delayInitialMs: 10_000 },
  });
  await expect(untrusted).rejects.toThrow(/certificate was refused/);
  await expect(untrusted).rejects.not.toBeInstanceOf(UncertainOutcomeError);
  expect(Date.now() - startedAtMs).toBeLessThan(5_000);

  const plain = ManagerApiClient.connect({ port: fixture.target.service.managerPort, ...MANAGER, ...ONE_ATTEMPT });
  await expect(plain).rejects.toBeInstanceOf(UncertainOutcomeError);
});
