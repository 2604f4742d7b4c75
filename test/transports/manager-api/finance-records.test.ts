import { ManagerClient } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { collectEvents, eventually, managerClient } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * The rules of a finance record's life (docs/manager-api.md#finance-records): created by a finance
 * command or an admin operation, updated by order on its own operation and book, deleted (reversed)
 * once, each step one event.
 */
let target: TestService;
let api: TestApi;
let manager: ManagerClient;
let events: Array<{ type: string; data: Record<string, unknown> }>;
const clients: ManagerClient[] = [];

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  manager = (await managerClient(api, target.service.managerPort)).client;
  const subscriber = (await managerClient(api, target.service.managerPort, 'SESSION_VIEWER')).client;
  await subscriber.command('Subscribe', { channels: ['trade:event'] });
  events = collectEvents(subscriber);
  clients.push(manager, subscriber);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  api.close();
  await target.stop();
});

/** The ledger postings of one order: operation and book of every line. */
async function postingsOf(order: number): Promise<Array<{ operation: string; book: string; amount: string }>> {
  const { rows } = await target.sql.query(
    `SELECT e.operation, p.book, p.amount_minor::text AS amount
       FROM journal_entries e JOIN postings p ON p.entry_id = e.id
      WHERE e.order_no = $1 ORDER BY e.id, p.book`,
    [order],
  );
  return rows;
}

async function orderOfReference(referenceId: string): Promise<number> {
  const { rows } = await target.sql.query(
    `SELECT order_no::int AS order FROM finance_records WHERE reference_id = $1`,
    [referenceId],
  );
  return rows[0].order as number;
}

const eventsOf = (order: number) => events.filter((event) => event.data.order === order);

describe('updates by order', () => {
  it("posts an update of an admin operation's record on that record's own operation and book", async () => {
    const login = await api.createAccount();
    expect((await api.balanceOperation(login, 'debit', '50.00', 'debit-record-1')).status).toBe(200);
    const order = await orderOfReference('debit-record-1');
    const update = await manager.command('BalanceInSync', { login, amount: 80, order });
    expect(update).toMatchObject({ status: 200, data: { order, cmd: 6, profit: 80 } });
    expect(await postingsOf(order)).toEqual([
      { operation: 'debit', book: 'balance', amount: '5000' },
      { operation: 'debit', book: 'debit', amount: '-5000' },
      { operation: 'debit', book: 'balance', amount: '3000' },
      { operation: 'debit', book: 'debit', amount: '-3000' },
    ]);
  });

  it("keeps the record's comment when an update brings none", async () => {
    const login = await api.createAccount();
    const created = await manager.command('BalanceInSync', { login, amount: 10, comment: 'PSP deposit 77' });
    const update = await manager.command('BalanceInSync', { login, amount: 12, order: created.data.order });
    expect(update).toMatchObject({ status: 200, data: { profit: 12, comment: 'PSP deposit 77' } });
    // a new record without a comment takes the default (docs/manager-api.md#finance-commands)
    expect(await manager.command('BalanceInSync', { login, amount: 1 })).toMatchObject({
      data: { comment: 'Finance' },
    });
  });

  it("refuses an update naming another login's order, and moves nothing", async () => {
    const owner = await api.createAccount();
    const intruder = await api.createAccount();
    const created = await manager.command('BalanceInSync', { login: owner, amount: 10 });
    const answer = await manager.command('BalanceIn', { login: intruder, amount: 99, order: created.data.order });
    expect(answer).toMatchObject({
      status: 400,
      data: { error: 'INVALID_DATA', message: expect.stringContaining('another login') },
    });
    expect(await api.account(intruder)).toMatchObject({ balance: '0.00' });
    expect(await manager.command('GetFinanceRecord', { order: created.data.order })).toMatchObject({
      data: { login: owner, profit: 10 },
    });
  });

  it('refuses times in milliseconds and a close before the open, with nothing moved', async () => {
    const login = await api.createAccount();
    expect(await manager.command('BalanceIn', { login, amount: 5, open_time: 1_795_303_455_000 })).toMatchObject({
      status: 400,
      data: { error: 'INVALID_DATA' },
    });
    expect(
      await manager.command('BalanceIn', { login, amount: 5, open_time: 1_795_303_455, close_time: 1_795_303_400 }),
    ).toMatchObject({
      status: 400,
      data: { error: 'INVALID_DATA', message: expect.stringContaining('close_time') },
    });
    expect(
      await manager.command('BalanceInSync', { login, amount: 5, open_time: 1_795_303_400, close_time: 1_795_303_455 }),
    ).toMatchObject({
      status: 200,
      data: { open_time: 1_795_303_400, close_time: 1_795_303_455 },
    });
    expect(await api.account(login)).toMatchObject({ balance: '5.00' });
  });
});

describe('DeleteBalance', () => {
  it('reverses a record with a new entry on its own books, state 6 and EV_RECORD_DELETE, once', async () => {
    const login = await api.createAccount();
    const created = await manager.command('CreditInSync', { login, amount: 30, comment: 'welcome bonus' });
    const order = created.data.order as number;
    const deleted = await manager.command('DeleteBalanceSync', { order });
    expect(deleted).toMatchObject({
      status: 200,
      data: { order, login, cmd: 7, state: 6, profit: 30, comment: 'welcome bonus' },
    });
    await eventually(() => eventsOf(order).length === 2);
    expect(eventsOf(order).map((event) => event.type)).toEqual(['EV_RECORD_ADD', 'EV_RECORD_DELETE']);
    expect(eventsOf(order)[1]!.data).toEqual(deleted.data);
    expect(await postingsOf(order)).toEqual([
      { operation: 'credit_in', book: 'bonus', amount: '-3000' },
      { operation: 'credit_in', book: 'credit', amount: '3000' },
      { operation: 'credit_in', book: 'bonus', amount: '3000' },
      { operation: 'credit_in', book: 'credit', amount: '-3000' },
    ]);
    expect(await api.account(login)).toMatchObject({ credit: '0.00' });
    // once only: a repeat answers the first deletion and moves nothing
    expect(await manager.command('DeleteBalanceSync', { order })).toMatchObject({ status: 200, data: deleted.data });
    expect(await manager.command('DeleteBalance', { order })).toMatchObject({
      status: 200,
      data: { accepted: true, order, state: 12, login, cmd: 7, amount: 30 },
    });
    expect(await postingsOf(order)).toHaveLength(4);
    expect(await manager.command('GetFinanceRecord', { order })).toMatchObject({ data: { state: 6 } });
    // a deleted record cannot be updated
    expect(await manager.command('CreditIn', { login, amount: 40, order, comment: 'again' })).toMatchObject({
      status: 400,
      data: { error: 'INVALID_DATA' },
    });
  });

  it('refuses a deletion that would make a bucket negative, and one of a record that does not exist', async () => {
    const login = await api.createAccount();
    const deposit = await manager.command('BalanceInSync', { login, amount: 100 });
    await manager.command('BalanceOutSync', { login, amount: -80 });
    expect(await manager.command('DeleteBalanceSync', { order: deposit.data.order })).toMatchObject({
      status: 400,
      data: { error: 'NOT_ENOUGH_MONEY' },
    });
    expect(await manager.command('GetFinanceRecord', { order: deposit.data.order })).toMatchObject({
      data: { state: 3 },
    });
    expect(await api.account(login)).toMatchObject({ balance: '20.00' });
    expect(await manager.command('DeleteBalance', { order: 999_999_999 })).toMatchObject({
      status: 404,
      data: { error: 'NOT_FOUND' },
    });
  });

  it('is refused to a viewer with the family error, like the other finance commands', async () => {
    const login = await api.createAccount();
    const order = (await manager.command('BalanceInSync', { login, amount: 5 })).data.order;
    const viewer = (await managerClient(api, target.service.managerPort, 'SESSION_VIEWER')).client;
    clients.push(viewer);
    expect(await viewer.command('DeleteBalanceSync', { order })).toEqual({
      extID: expect.any(String),
      status: 401,
      data: { error: 'DELETE_BALANCE_ERROR', message: 'Invalid login or insufficient permissions' },
    });
    expect(await api.account(login)).toMatchObject({ balance: '5.00' });
  });
});

describe('events', () => {
  it('broadcasts one event of the right type and shape for every finance kind and step', async () => {
    const login = await api.createAccount();
    const kinds: Array<[string, number, number]> = [
      ['BalanceIn', 50, 6],
      ['CreditIn', 20, 7],
      ['BalanceOut', -5, 8],
      ['CreditOut', -2, 9],
    ];
    for (const [command, amount, cmd] of kinds) {
      const sync = await manager.command(`${command}Sync`, { login, amount, comment: command });
      expect(sync).toMatchObject({ status: 200, data: { login, cmd, state: 3, profit: amount, comment: command } });
      const order = sync.data.order as number;
      await eventually(() => eventsOf(order).length === 1, 5000, `${command} event`);
      expect(eventsOf(order)[0]).toEqual({ event: 'trade:event', type: 'EV_RECORD_ADD', data: sync.data });

      const plain = await manager.command(command, { login, amount, comment: `${command} plain`, order });
      expect(plain).toMatchObject({ status: 200, data: { accepted: true, order, state: 11, login, cmd, amount } });
      await eventually(() => eventsOf(order).length === 2, 5000, `${command} update event`);
      expect(eventsOf(order)[1]).toMatchObject({
        type: 'EV_RECORD_UPDATE',
        data: { order, cmd, state: 3, profit: amount, comment: `${command} plain` },
      });
    }
    for (const [operation, cmd] of [
      ['add', 6],
      ['sub', 8],
      ['credit', 7],
      ['debit', 6],
      ['adjustment', 13],
      ['commission', 15],
      ['swap', 18],
    ] as const) {
      const referenceId = `event-${operation}-${login}`;
      expect((await api.balanceOperation(login, operation, '1.00', referenceId)).status).toBe(200);
      const order = await orderOfReference(referenceId);
      await eventually(() => eventsOf(order).length === 1, 5000, `${operation} event`);
      const profit = ['sub', 'commission', 'swap'].includes(operation) ? -1 : 1;
      expect(eventsOf(order)[0]).toMatchObject({
        type: 'EV_RECORD_ADD',
        data: { order, login, cmd, state: 3, profit },
      });
    }
  });
});
