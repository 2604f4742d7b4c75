import { once } from 'node:events';
import { AdminClient, ManagerApiClient, retryUncertain, type TradeEvent } from '@wallet-service/client';
import { createTestDatabase } from '../../support/database';
import { entriesWithKey } from '../../support/probes';
import { ledgerDiscrepancies, startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/test-service';

/**
 * The manager client rides a restart of the service: the instance stops (its connections close), a
 * new one starts on the same database and port, and the client connects again, logs in again and
 * subscribes again by itself; a command sent meanwhile is applied once, and its event reaches the
 * stream opened before the restart.
 */
const MANAGER = { login: 96_001, password: 'manager-password-reconnect' };
const LOGIN = 96_101;

let database: { url: string; drop: () => Promise<void> };
let instance: TestService | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await instance?.stop();
  await database.drop();
});

async function startInstance(managerPort = 0): Promise<{ target: TestService; admin: AdminClient }> {
  const target = await startTestService({ MANAGER_PORT: String(managerPort) }, database.url);
  instance = target;
  return { target, admin: new AdminClient(target.baseUrl, TEST_ADMIN_KEY) };
}

async function nextEvent(events: AsyncIterator<TradeEvent>): Promise<TradeEvent> {
  return (await events.next()).value as TradeEvent;
}

it('reconnects, logs in and subscribes again after the service restarts; a command sent meanwhile applies once', async () => {
  const first = await startInstance();
  await first.admin.createAccount({ login: LOGIN, currency: 'USD' });
  await first.admin.createManager({ ...MANAGER, role: 'SESSION_MANAGER' });
  first.admin.close();
  const managerPort = first.target.service.managerPort;
  const manager = await ManagerApiClient.connect({
    port: managerPort,
    ...MANAGER,
    reconnect: { attemptsMax: 100, delayInitialMs: 20, delayMaxMs: 200 },
  });
  const events = await manager.subscribe();
  try {
    await manager.balanceInSync({ login: LOGIN, amount: '10.00', referenceId: 'before-restart' });
    expect(await nextEvent(events)).toMatchObject({ type: 'EV_RECORD_ADD', data: { login: LOGIN, profit: '10.00' } });

    const disconnected = once(manager, 'disconnected');
    const reconnected = once(manager, 'reconnected');
    await first.target.stop(); // the database stays: it was created by this file
    await disconnected;

    // sent while no instance listens: it waits for the connection, within the reconnect limits
    const deposit = retryUncertain(
      () => manager.balanceInSync({ login: LOGIN, amount: '2.50', referenceId: 'during-restart' }),
      { attemptsMax: 5, totalTimeMs: 30_000 },
    );
    const second = await startInstance(managerPort);
    await reconnected;
    expect(await deposit).toMatchObject({ login: LOGIN, cmd: 6, state: 3, profit: '2.50' });

    await second.admin.applyBalanceOperation({
      accountId: LOGIN,
      operation: 'credit',
      amount: '1.00',
      comment: 'after restart',
    });
    expect(await nextEvent(events)).toMatchObject({ type: 'EV_RECORD_ADD', data: { profit: '2.50' } });
    expect(await nextEvent(events)).toMatchObject({
      type: 'EV_RECORD_ADD',
      data: { profit: '1.00', comment: 'after restart' },
    });

    expect(await second.admin.getAccount({ login: LOGIN })).toMatchObject({ balance: '12.50', credit: '1.00' });
    expect(await entriesWithKey(second.target.sql, 'during-restart')).toBe(1);
    expect(await ledgerDiscrepancies(second.target.sql)).toEqual([]);
    second.admin.close();
  } finally {
    await manager.close();
  }
});
