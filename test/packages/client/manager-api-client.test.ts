import { ApiError, ManagerApiClient, type ManagerApiClientOptions, type TradeEvent } from '@wallet-service/client';
import { useSdkFixture } from './sdk-fixture';

/** The SDK's manager TCP client against the real service: every command, the event stream, typed refusals. */
const fixture = useSdkFixture();
const PASSWORD = 'manager-password-sdk';
let nextManagerLogin = 95_000;
const clients: ManagerApiClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** A manager user of `role` (admin API) and a client logged in as it. */
async function connectManager(
  role: 'SESSION_MANAGER' | 'SESSION_VIEWER' = 'SESSION_MANAGER',
  options: Partial<ManagerApiClientOptions> = {},
): Promise<ManagerApiClient> {
  const login = (nextManagerLogin += 1);
  await fixture.admin.createManager({ login, password: PASSWORD, role });
  const client = await ManagerApiClient.connect({
    port: fixture.target.service.managerPort,
    login,
    password: PASSWORD,
    ...options,
  });
  clients.push(client);
  return client;
}

/** The next `count` events of a stream. */
async function take(events: AsyncIterator<TradeEvent>, count: number): Promise<TradeEvent[]> {
  const taken: TradeEvent[] = [];
  while (taken.length < count) taken.push((await events.next()).value as TradeEvent);
  return taken;
}

describe('ManagerApiClient', () => {
  it('runs every finance command and its Sync variant, with exact amounts', async () => {
    const manager = await connectManager();
    expect(manager.role).toBe('SESSION_MANAGER');
    const login = await fixture.account('USD');

    expect(await manager.balanceIn({ login, amount: '250.00', comment: 'PSP deposit' })).toMatchObject({
      accepted: true,
      state: 10,
      login,
      cmd: 6,
      amount: '250.00',
    });
    expect(await manager.balanceInSync({ login, amount: '0.10' })).toMatchObject({
      login,
      cmd: 6,
      state: 3,
      profit: '0.10',
      comment: 'Finance',
    });
    const withdrawal = await manager.balanceOut({ login, amount: '-50.00', comment: 'withdrawal' });
    expect(withdrawal).toMatchObject({ cmd: 8, amount: '-50.00' });
    expect(await manager.balanceOutSync({ login, amount: '-0.05' })).toMatchObject({
      cmd: 8,
      state: 3,
      profit: '-0.05',
    });
    expect(await manager.creditIn({ login, amount: '30.00', comment: 'bonus' })).toMatchObject({
      cmd: 7,
      amount: '30.00',
    });
    expect(
      await manager.creditInSync({
        login,
        amount: '5.00',
        comment: 'bonus 2',
        openTimeS: 1_800_000_000,
        closeTimeS: 1_800_000_060,
      }),
    ).toMatchObject({
      cmd: 7,
      profit: '5.00',
      openTimeS: 1_800_000_000,
      closeTimeS: 1_800_000_060,
    });
    expect(await manager.creditOut({ login, amount: '-10.00' })).toMatchObject({ cmd: 9, amount: '-10.00' });
    expect(await manager.creditOutSync({ login, amount: '-1.00' })).toMatchObject({ cmd: 9, profit: '-1.00' });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '200.05', credit: '24.00' });

    // DeleteBalance reverses the withdrawal; the record says so
    expect(await manager.deleteBalanceSync({ order: withdrawal.order })).toMatchObject({
      order: withdrawal.order,
      state: 6,
      profit: '-50.00',
    });
    expect(await manager.getFinanceRecord({ order: withdrawal.order })).toMatchObject({
      order: withdrawal.order,
      login,
      cmd: 8,
      state: 6,
    });
    const small = await manager.balanceIn({ login, amount: '1.00' });
    expect(await manager.deleteBalance({ order: small.order })).toMatchObject({ order: small.order, state: 12 });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '250.05', credit: '24.00' });

    const records = await manager.getTransactionsByLogin({ login });
    expect(records.map((record) => record.cmd).sort()).toEqual([6, 6, 6, 7, 7, 8, 8, 9, 9]);
    expect(records.find((record) => record.order === withdrawal.order)).toMatchObject({
      state: 6,
      profit: '-50.00',
      comment: 'withdrawal',
    });
    expect(Math.abs((await manager.ping()) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('carries amounts beyond a double exactly', async () => {
    const manager = await connectManager();
    const login = await fixture.account('USD');
    // 9007199254740993 minor units: 2^53 + 1, which a JS number cannot hold
    expect(
      await manager.balanceInSync({ login, amount: '90071992547409.93', referenceId: `big-${login}` }),
    ).toMatchObject({ profit: '90071992547409.93' });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '90071992547409.93' });
  });

  it('surfaces refusals as ApiError with the service code and status', async () => {
    const manager = await connectManager();
    const login = await fixture.account('USD', '10.00');
    const refused = async (call: Promise<unknown>) => {
      const error = await call.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(ApiError);
      return { code: (error as ApiError).code, httpStatus: (error as ApiError).httpStatus };
    };
    expect(await refused(manager.balanceOutSync({ login, amount: '-10.01' }))).toEqual({
      code: 'NOT_ENOUGH_MONEY',
      httpStatus: 400,
    });
    expect(await refused(manager.balanceIn({ login, amount: '-1.00' }))).toEqual({
      code: 'INVALID_DATA',
      httpStatus: 400,
    });
    await manager.balanceIn({ login, amount: '1.00', referenceId: `ref-${login}` });
    expect(await refused(manager.balanceIn({ login, amount: '2.00', referenceId: `ref-${login}` }))).toEqual({
      code: 'DUPLICATE',
      httpStatus: 409,
    });
    expect(await refused(manager.getFinanceRecord({ order: 999_999_999 }))).toEqual({
      code: 'NOT_FOUND',
      httpStatus: 404,
    });

    const viewer = await connectManager('SESSION_VIEWER');
    expect(await refused(viewer.creditIn({ login, amount: '1.00', comment: 'no' }))).toEqual({
      code: 'ADD_CREDIT_ERROR',
      httpStatus: 401,
    });
    const wrongPassword = ManagerApiClient.connect({
      port: fixture.target.service.managerPort,
      login: nextManagerLogin,
      password: 'wrong-password',
    });
    expect(await refused(wrongPassword)).toEqual({ code: 'UNAUTHORIZED', httpStatus: 401 });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '11.00', credit: '0.00' });
  });

  it('streams the trade events of every source to each subscriber', async () => {
    const manager = await connectManager();
    const login = await fixture.account('USD');
    const first = await manager.subscribe();
    const second = await manager.subscribe();

    const record = await manager.balanceInSync({ login, amount: '12.00', comment: 'manager' });
    await fixture.admin.applyBalanceOperation({
      accountId: login,
      operation: 'credit',
      amount: '3.00',
      comment: 'admin bonus',
    });
    await manager.deleteBalanceSync({ order: record.order });

    for (const stream of [first, second]) {
      const events = (await take(stream, 3)).map((event) => [
        event.type,
        event.data.login,
        event.data.cmd,
        event.data.profit,
        event.data.comment,
      ]);
      expect(events).toEqual([
        ['EV_RECORD_ADD', login, 6, '12.00', 'manager'],
        ['EV_RECORD_ADD', login, 7, '3.00', 'admin bonus'],
        ['EV_RECORD_DELETE', login, 6, '12.00', 'manager'],
      ]);
    }
    await first.return!();
    expect(await first.next()).toEqual({ value: undefined, done: true });
  });
});
