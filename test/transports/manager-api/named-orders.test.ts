import {
  isFinanceRecord,
  ManagerApiClient,
  ManagerClient,
  UncertainOutcomeError,
  type ManagerAnswer,
} from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { holdAccountLock } from '../../support/probes';
import { eventually, managerClient, MANAGER_PASSWORD } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * docs/manager-api.md#looking-up-an-order: every order number the service has handed out (in an
 * acknowledgement or in a 504) resolves for ever: GetFinanceRecord answers the record, or, when its
 * command was refused after its answer, a definitive refusal naming the order and the reason, never
 * a 404; a retry with the same referenceId is applied under that same order. Over real sockets, the
 * account row held from outside (a separate connection's SELECT ... FOR UPDATE in an open
 * transaction).
 */
const SYNC_TIMEOUT_MS = 400;
/** Longer than the Sync wait: a command on a held row is answered 504 first, then refused ACCOUNT_BUSY. */
const ACCOUNT_LOCK_TIMEOUT_MS = 1500;
const STATE_PENDING = 10;
const STATE_REFUSED = 13;

let target: TestService;
let api: TestApi;
let manager: ManagerClient;

beforeAll(async () => {
  target = await startTestService({
    MANAGER_SYNC_TIMEOUT_MS: String(SYNC_TIMEOUT_MS),
    ACCOUNT_LOCK_TIMEOUT_MS: String(ACCOUNT_LOCK_TIMEOUT_MS),
  });
  api = new TestApi(target);
  manager = (await managerClient(api, target.service.managerPort)).client;
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await manager.close();
  api.close();
  await target.stop();
});

const lookUp = (order: number) => manager.command('GetFinanceRecord', { order });

/** Waits until the order's command has ended (its lookup is no longer pending) and returns the lookup. */
async function settledLookUp(order: number): Promise<ManagerAnswer> {
  await eventually(
    async () => (await lookUp(order)).data.state !== STATE_PENDING,
    ACCOUNT_LOCK_TIMEOUT_MS + 5000,
    `order ${order} settled`,
  );
  return lookUp(order);
}

async function balanceOf(login: number): Promise<string> {
  return (await api.account(login)).balance!;
}

describe('an order named in a SYNC_TIMEOUT whose command is then refused', () => {
  it('answers pending while the command waits, then ACCOUNT_BUSY naming the order (never 404); a retry with the same referenceId after the release applies under that order, once', async () => {
    const login = await api.createAccount();
    const command = { login, amount: 25, comment: 'named', referenceId: `named-${login}` };
    const releaseRow = await holdAccountLock(target.sql, login);
    let order: number;
    try {
      const timedOut = await manager.command('BalanceInSync', command);
      expect(timedOut).toMatchObject({
        status: 504,
        data: { error: 'SYNC_TIMEOUT', kind: 'trade', order: expect.any(Number) },
      });
      order = timedOut.data.order as number;
      expect(await lookUp(order)).toMatchObject({ status: 200, data: { order, login, cmd: 6, state: STATE_PENDING } });
      // a retry while the row is still held names the same order
      expect(await manager.command('BalanceInSync', command)).toMatchObject({
        status: 504,
        data: { error: 'SYNC_TIMEOUT', order },
      });

      const refused = await settledLookUp(order);
      expect(refused).toEqual({
        extID: expect.any(String),
        status: 200,
        data: {
          order,
          login,
          cmd: 6,
          state: STATE_REFUSED,
          error: 'ACCOUNT_BUSY',
          message: expect.stringMatching(/locked/),
        },
      });
    } finally {
      await releaseRow();
    }
    // definitive: released, nothing applies by itself, and the order still answers its refusal
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await lookUp(order)).toMatchObject({
      status: 200,
      data: { order, state: STATE_REFUSED, error: 'ACCOUNT_BUSY' },
    });
    expect(await balanceOf(login)).toBe('0.00');

    const retried = await manager.command('BalanceInSync', command);
    expect(retried).toMatchObject({
      status: 200,
      data: { order, login, cmd: 6, state: 3, profit: 25, comment: 'named' },
    });
    expect(await lookUp(order)).toEqual({ extID: expect.any(String), status: 200, data: retried.data });
    // once more: a replay, nothing moves again
    expect(await manager.command('BalanceInSync', command)).toMatchObject({ status: 200, data: { order, profit: 25 } });
    expect(await balanceOf(login)).toBe('25.00');
    const { rows } = await target.sql.query(`SELECT order_no::int AS order FROM finance_records WHERE login = $1`, [
      login,
    ]);
    expect(rows).toEqual([{ order }]);
  });

  it('takes the named order for a plain retry too, and the reconciliation lists each 504 with what became of its order', async () => {
    const login = await api.createAccount();
    const command = { login, amount: 7, referenceId: `named-plain-${login}` };
    const releaseRow = await holdAccountLock(target.sql, login);
    let order: number;
    try {
      order = (await manager.command('BalanceInSync', command)).data.order as number;
      expect((await settledLookUp(order)).data).toMatchObject({ order, state: STATE_REFUSED, error: 'ACCOUNT_BUSY' });
    } finally {
      await releaseRow();
    }
    let report = (await api.admin('GET', '/admin/reconciliation')).body as {
      exceptions: { syncTimeouts: { items: Array<Record<string, unknown>> } };
    };
    expect(report.exceptions.syncTimeouts.items.filter((item) => item.order_no === String(order))).toEqual([
      expect.objectContaining({
        command: 'BalanceInSync',
        outcome: 'refused',
        refusal: 'ACCOUNT_BUSY',
        applied_order_no: null,
      }),
    ]);

    expect(await manager.command('BalanceIn', command)).toMatchObject({
      status: 200,
      data: { accepted: true, order, state: 10, amount: 7 },
    });
    expect(await lookUp(order)).toMatchObject({ status: 200, data: { order, login, cmd: 6, state: 3, profit: 7 } });
    expect(await balanceOf(login)).toBe('7.00');
    report = (await api.admin('GET', '/admin/reconciliation')).body as typeof report;
    expect(report.exceptions.syncTimeouts.items.filter((item) => item.order_no === String(order))).toEqual([
      expect.objectContaining({ outcome: 'applied', refusal: null }),
    ]);
  });

  it('answers NOT_ENOUGH_MONEY naming the order of a withdrawal that timed out and was then refused for funds, without a referenceId', async () => {
    const login = await api.createAccount();
    expect(await manager.command('BalanceIn', { login, amount: 10 })).toMatchObject({ status: 200 });
    const releaseRow = await holdAccountLock(target.sql, login);
    let timedOut: ManagerAnswer;
    try {
      timedOut = await manager.command('BalanceOutSync', { login, amount: -50 });
      expect(timedOut).toMatchObject({ status: 504, data: { error: 'SYNC_TIMEOUT' } });
    } finally {
      await releaseRow(); // before the lock timeout: the withdrawal runs, and the bucket refuses it
    }
    const order = timedOut.data.order as number;
    expect(await settledLookUp(order)).toMatchObject({
      status: 200,
      data: { order, login, cmd: 8, state: STATE_REFUSED, error: 'NOT_ENOUGH_MONEY', message: expect.any(String) },
    });
    expect(await balanceOf(login)).toBe('10.00');
  });

  it('resolves both orders of two attempts with one referenceId that each got their own SYNC_TIMEOUT to the one record', async () => {
    const login = await api.createAccount();
    const command = { login, amount: 3, referenceId: `named-twice-${login}` };
    const releaseRow = await holdAccountLock(target.sql, login);
    let answers: ManagerAnswer[];
    try {
      // sent at once: neither can see the other's 504 when its order is named
      answers = await Promise.all([
        manager.command('BalanceInSync', command),
        manager.command('BalanceInSync', command),
      ]);
      expect(answers.map((answer) => [answer.status, answer.data.error])).toEqual([
        [504, 'SYNC_TIMEOUT'],
        [504, 'SYNC_TIMEOUT'],
      ]);
      expect(answers[0]!.data.order).not.toBe(answers[1]!.data.order);
    } finally {
      await releaseRow();
    }
    const lookups = await Promise.all(answers.map((answer) => settledLookUp(answer.data.order as number)));
    const { rows } = await target.sql.query(`SELECT order_no::int AS order FROM finance_records WHERE login = $1`, [
      login,
    ]);
    expect(rows).toHaveLength(1);
    for (const lookup of lookups)
      expect(lookup).toMatchObject({ status: 200, data: { order: rows[0].order, login, state: 3, profit: 3 } });
    expect(await balanceOf(login)).toBe('3.00');
  });
});

describe('the SDK', () => {
  it("types GetFinanceRecord of a named order: pending, then refused with the reason, then the retry's record", async () => {
    const { client: helper, login: managerLogin } = await managerClient(api, target.service.managerPort);
    await helper.close();
    const sdk = await ManagerApiClient.connect({
      port: target.service.managerPort,
      login: managerLogin,
      password: MANAGER_PASSWORD,
    });
    try {
      const login = await api.createAccount();
      const command = { login, amount: '4.00', referenceId: `named-sdk-${login}` };
      const releaseRow = await holdAccountLock(target.sql, login);
      let order: number;
      try {
        const timedOut = await sdk.balanceInSync(command).catch((error: unknown) => error);
        expect(timedOut).toBeInstanceOf(UncertainOutcomeError);
        order = (timedOut as UncertainOutcomeError).details.order!;
        expect(await sdk.getFinanceRecord({ order })).toEqual({ order, login, cmd: 6, state: STATE_PENDING });
        await eventually(
          async () => (await sdk.getFinanceRecord({ order })).state !== STATE_PENDING,
          ACCOUNT_LOCK_TIMEOUT_MS + 5000,
          'the refusal',
        );
        const refused = await sdk.getFinanceRecord({ order });
        expect(refused).toEqual({
          order,
          login,
          cmd: 6,
          state: STATE_REFUSED,
          error: 'ACCOUNT_BUSY',
          message: expect.any(String),
        });
        expect(isFinanceRecord(refused)).toBe(false);
      } finally {
        await releaseRow();
      }
      expect(await sdk.balanceInSync(command)).toMatchObject({ order, state: 3, profit: '4.00' });
      const record = await sdk.getFinanceRecord({ order });
      expect(isFinanceRecord(record) && record.profit).toBe('4.00');
    } finally {
      await sdk.close();
    }
  });
});

describe('the order of a plain (not Sync) command', () => {
  it('is acknowledged only once applied, so it always resolves to its record: on a held row or an uncovered withdrawal the refusal names no order', async () => {
    const login = await api.createAccount();
    const releaseRow = await holdAccountLock(target.sql, login);
    let busy: ManagerAnswer;
    try {
      busy = await manager.command('BalanceIn', { login, amount: 5, referenceId: `plain-${login}` });
    } finally {
      await releaseRow();
    }
    expect(busy).toEqual({
      extID: expect.any(String),
      status: 503,
      data: { error: 'ACCOUNT_BUSY', message: expect.any(String) },
    });
    expect(await manager.command('BalanceOut', { login, amount: -5 })).toEqual({
      extID: expect.any(String),
      status: 400,
      data: { error: 'NOT_ENOUGH_MONEY', message: expect.any(String) },
    });

    const accepted = await manager.command('BalanceIn', { login, amount: 5, referenceId: `plain-${login}` });
    expect(accepted).toMatchObject({ status: 200, data: { accepted: true, state: 10 } });
    const order = accepted.data.order as number;
    expect(await lookUp(order)).toMatchObject({ status: 200, data: { order, login, cmd: 6, state: 3, profit: 5 } });
    const withdrawal = await manager.command('BalanceOut', { login, amount: -5 });
    expect(await lookUp(withdrawal.data.order as number)).toMatchObject({
      status: 200,
      data: { order: withdrawal.data.order, cmd: 8, state: 3, profit: -5 },
    });
    expect(await balanceOf(login)).toBe('0.00');
  });

  it('answers 404 only for an order the service never named', async () => {
    expect(await lookUp(999_999_999)).toMatchObject({ status: 404, data: { error: 'NOT_FOUND' } });
  });
});
