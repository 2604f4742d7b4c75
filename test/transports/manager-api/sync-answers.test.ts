import { ManagerClient } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { collectEvents, eventually, managerClient } from '../../support/manager';
import { holdAccountLock } from '../../support/probes';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * A Sync command is answered by the event that its own transaction wrote, or by its own refusal:
 * never by another command's event on the same order (docs/manager-api.md#sync-commands).
 */
let target: TestService;
let api: TestApi;
const clients: ManagerClient[] = [];

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  api.close();
  await target.stop();
});

async function connect(role = 'SESSION_MANAGER'): Promise<ManagerClient> {
  const { client } = await managerClient(api, target.service.managerPort, role);
  clients.push(client);
  return client;
}

describe('Sync answers under contention', () => {
  it('answers each of ten concurrent Sync updates of one order with its own amount and comment', async () => {
    const login = await api.createAccount();
    const first = await connect();
    const created = await first.command('BalanceInSync', { login, amount: 100, comment: 'opening' });
    expect(created).toMatchObject({ status: 200, data: { login, cmd: 6, state: 3, profit: 100 } });
    const order = created.data.order as number;
    const subscriber = await connect('SESSION_VIEWER');
    await subscriber.command('Subscribe', { channels: ['trade:event'] });
    const events = collectEvents(subscriber);

    const writers = await Promise.all(Array.from({ length: 10 }, () => connect()));
    const answers = await Promise.all(
      writers.map((writer, i) => writer.command('BalanceInSync', { login, amount: 200 + i, order, comment: `c${i}` })),
    );
    answers.forEach((answer, i) => {
      expect(answer).toMatchObject({
        status: 200,
        data: { order, login, cmd: 6, state: 3, profit: 200 + i, comment: `c${i}` },
      });
    });
    // every update was broadcast once, and the record ends at the amount of the last one applied
    await eventually(
      () => events.filter((event) => event.type === 'EV_RECORD_UPDATE' && event.data.order === order).length === 10,
    );
    const last = events.filter((event) => event.data.order === order).at(-1)!;
    const record = await first.command('GetFinanceRecord', { order });
    expect(record.data).toEqual(last.data);
    expect(await api.account(login)).toMatchObject({ balance: `${record.data.profit}.00` });
  });

  it('answers a Sync update refused for funds with its refusal, never with an earlier update of the order', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '1000.00');
    const manager = await connect();
    const record = await manager.command('BalanceOutSync', { login, amount: -10, comment: 'fee' });
    const order = record.data.order as number;

    const release = await holdAccountLock(target.sql, login);
    // queued behind the lock: a plain update Y of the order, ten withdrawals that empty the balance,
    // then a Sync update X that the balance can no longer cover
    const updateY = manager.command('BalanceOut', { login, amount: -20, order, comment: 'Y' });
    const withdrawals = Array.from({ length: 10 }, () => manager.command('BalanceOut', { login, amount: -98 }));
    const updateX = manager.command('BalanceOutSync', { login, amount: -500, order, comment: 'X' });
    await eventually(() => target.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await release();

    expect(await updateY).toMatchObject({ status: 200, data: { accepted: true, order, state: 11 } });
    expect((await Promise.all(withdrawals)).map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(await updateX).toMatchObject({ status: 400, data: { error: 'NOT_ENOUGH_MONEY' } });
    expect(await manager.command('GetFinanceRecord', { order })).toMatchObject({ data: { profit: -20, comment: 'Y' } });
    expect(await api.account(login)).toMatchObject({ balance: '0.00' });
  });

  it('answers a Sync update queued behind another update of its order with its own data', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '1000.00');
    const manager = await connect();
    const order = (await manager.command('BalanceOutSync', { login, amount: -10 })).data.order as number;
    const release = await holdAccountLock(target.sql, login);
    const updateY = manager.command('BalanceOut', { login, amount: -20, order, comment: 'Y' });
    const updateX = manager.command('BalanceOutSync', { login, amount: -30, order, comment: 'X' });
    await eventually(() => target.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 1));
    await release();
    expect(await updateY).toMatchObject({ status: 200, data: { state: 11 } });
    expect(await updateX).toMatchObject({ status: 200, data: { order, profit: -30, comment: 'X', state: 3 } });
    expect(await api.account(login)).toMatchObject({ balance: '970.00' });
  });

  it("answers a Sync command waiting on a locked account with its own event, not with a later command's", async () => {
    const stuck = await api.createAccount();
    const free = await api.createAccount();
    const manager = await connect();
    const release = await holdAccountLock(target.sql, stuck);
    const first = manager.command('BalanceInSync', { login: stuck, amount: 11, comment: 'first' });
    await eventually(() => target.service.metrics.syncWaiters.get().then((metric) => metric.values[0]?.value === 1));
    // registered second, committed first
    expect(await manager.command('BalanceInSync', { login: free, amount: 22, comment: 'second' })).toMatchObject({
      status: 200,
      data: { login: free, profit: 22, comment: 'second' },
    });
    await release();
    expect(await first).toMatchObject({ status: 200, data: { login: stuck, profit: 11, comment: 'first' } });
  });

  it('answers a replayed Sync command with the outcome of its first application', async () => {
    const login = await api.createAccount();
    const manager = await connect();
    const first = await manager.command('BalanceInSync', {
      login,
      amount: 40,
      comment: 'psp',
      referenceId: 'sync-replay-1',
    });
    // the record changes meanwhile; the replay still answers what the first application did
    await manager.command('BalanceInSync', { login, amount: 45, order: first.data.order, comment: 'corrected' });
    const replay = await manager.command('BalanceInSync', {
      login,
      amount: 40,
      comment: 'psp',
      referenceId: 'sync-replay-1',
    });
    expect(replay).toEqual({ ...first, extID: replay.extID });
    expect(await api.account(login)).toMatchObject({ balance: '45.00' });
  });

  it('refuses a second command with an extID still in flight on the connection, and runs only the first', async () => {
    const login = await api.createAccount();
    const manager = await connect();
    const release = await holdAccountLock(target.sql, login);
    const answers: Array<{ extID: string | null; status: number; data: Record<string, unknown> }> = [];
    manager.on('answer', (answer) => answers.push(answer));
    const line = (amount: number) =>
      `${JSON.stringify({ command: 'BalanceIn', extID: 'same-ext', data: { login, amount } })}\r\n`;
    manager.sendRaw(line(7));
    manager.sendRaw(line(9));
    await eventually(() => answers.length === 1);
    expect(answers[0]).toMatchObject({ extID: 'same-ext', status: 409, data: { error: 'DUPLICATE_EXTID' } });
    await release();
    await eventually(() => answers.length === 2);
    expect(answers[1]).toMatchObject({ extID: 'same-ext', status: 200, data: { accepted: true, amount: 7 } });
    expect(await api.account(login)).toMatchObject({ balance: '7.00' });
  });
});
