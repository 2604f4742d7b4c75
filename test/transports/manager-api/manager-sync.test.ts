import { ManagerClient } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { collectEvents, eventually, managerClient } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

const SYNC_TIMEOUT_MS = 400;

describe('Sync commands when the event cannot arrive in time', () => {
  let target: TestService;
  let api: TestApi;
  let manager: ManagerClient;

  beforeAll(async () => {
    target = await startTestService({ MANAGER_SYNC_TIMEOUT_MS: String(SYNC_TIMEOUT_MS) });
    api = new TestApi(target);
    manager = (await managerClient(api, target.service.managerPort)).client;
  });
  afterAll(async () => {
    await manager.close();
    api.close();
    await target.stop();
  });

  it('answers 504 SYNC_TIMEOUT with the order, and the operation still completes', async () => {
    const login = await api.createAccount();
    // Hold the account's row lock so that the deposit cannot commit within the timeout.
    const blocker = await target.sql.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
    let answer;
    try {
      answer = await manager.command('BalanceInSync', { login, amount: 42, comment: 'late' });
      expect(answer).toMatchObject({
        status: 504,
        data: { error: 'SYNC_TIMEOUT', kind: 'trade', order: expect.any(Number) },
      });
      // the order it named is known while its command waits: pending, not 404
      expect(await manager.command('GetFinanceRecord', { order: answer.data.order })).toEqual({
        extID: expect.any(String),
        status: 200,
        data: { order: answer.data.order, login, cmd: 6, state: 10 },
      });
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    await eventually(
      async () => (await manager.command('GetFinanceRecord', { order: answer.data.order })).data.state === 3,
    );
    expect(await manager.command('GetFinanceRecord', { order: answer.data.order })).toMatchObject({
      status: 200,
      data: { order: answer.data.order, login, cmd: 6, state: 3, profit: 42, comment: 'late' },
    });
    expect(await api.account(login)).toMatchObject({ balance: '42.00' });
    expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
  });

  it('drops the waiters of a closed connection', async () => {
    const login = await api.createAccount();
    const { client } = await managerClient(api, target.service.managerPort);
    const blocker = await target.sql.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
    void client.command('BalanceInSync', { login, amount: 1 }).catch(() => undefined);
    await eventually(() => target.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 1));
    await client.close();
    await eventually(() => target.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 0));
    await blocker.query('ROLLBACK');
    blocker.release();
  });
});

describe('two instances on one database', () => {
  let first: TestService;
  let second: TestService;
  let api: TestApi;

  beforeAll(async () => {
    first = await startTestService();
    second = await startTestService({}, first.databaseUrl);
    api = new TestApi(first);
  });
  afterAll(async () => {
    api.close();
    await second.service.stop();
    await second.sql.end();
    await first.stop();
  });

  it('delivers a command on one instance to a subscriber on the other', async () => {
    const login = await api.createAccount();
    const { client: subscriber } = await managerClient(api, second.service.managerPort, 'SESSION_VIEWER');
    const { client: writer } = await managerClient(api, first.service.managerPort);
    await subscriber.command('Subscribe', { channels: ['trade:event'] });
    const seen = collectEvents(subscriber);
    const answer = await writer.command('BalanceInSync', { login, amount: 5 });
    await eventually(() => seen.some((event) => event.data.order === answer.data.order));
    expect(seen.filter((event) => event.data.order === answer.data.order)).toEqual([
      { event: 'trade:event', type: 'EV_RECORD_ADD', data: answer.data },
    ]);
    await Promise.all([subscriber.close(), writer.close()]);
  });

  it('answers Sync commands on one instance while the other writes to the same account', async () => {
    const login = await api.createAccount();
    const { client: onFirst } = await managerClient(api, first.service.managerPort);
    const { client: onSecond } = await managerClient(api, second.service.managerPort);
    const [syncAnswers, plainAnswers] = await Promise.all([
      Promise.all(Array.from({ length: 25 }, () => onFirst.command('BalanceInSync', { login, amount: 2 }))),
      Promise.all(Array.from({ length: 25 }, () => onSecond.command('BalanceIn', { login, amount: 3 }))),
    ]);
    expect(syncAnswers.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(
      syncAnswers.every((answer) => answer.data.cmd === 6 && answer.data.state === 3 && answer.data.profit === 2),
    ).toBe(true);
    expect(plainAnswers.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(await api.account(login)).toMatchObject({ balance: '125.00' });
    expect(await ledgerDiscrepancies(first.sql)).toEqual([]);
    await Promise.all([onFirst.close(), onSecond.close()]);
  });
});
