import {
  AdminClient,
  ApiError,
  OperatorClient,
  retryUncertain,
  UncertainOutcomeError,
  type LedgerEntry,
} from '@wallet-service/client';
import { entriesWithKey, holdAccountLock } from '../../support/probes';
import { useSdkFixture } from './sdk-fixture';

/** The SDK's operator and admin clients against the real service: every endpoint, outcomes and error codes. */
const ACCOUNT_LOCK_TIMEOUT_MS = 300;
const fixture = useSdkFixture({ ACCOUNT_LOCK_TIMEOUT_MS: String(ACCOUNT_LOCK_TIMEOUT_MS) });
const today = () => new Date().toISOString().slice(0, 10);

/** The ApiError a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<Pick<ApiError, 'code' | 'httpStatus'>> {
  const error = await call.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return { code: error.code, httpStatus: error.httpStatus };
}

describe('OperatorClient', () => {
  it('creates launch tokens; a wrong key, an unknown or disabled account are typed refusals', async () => {
    const login = await fixture.account();
    const launch = await fixture.operator.createLaunchToken({ login });
    expect(launch.token).toMatch(/^\w{16,}$/);
    expect(Date.parse(launch.expiresAt)).toBeGreaterThan(Date.now());

    const impostor = new OperatorClient(fixture.target.baseUrl, 'wrong-operator-key-0123456789');
    expect(await refusal(impostor.createLaunchToken({ login }))).toEqual({ code: 'UNAUTHORIZED', httpStatus: 401 });
    impostor.close();
    expect(await refusal(fixture.operator.createLaunchToken({ login: 999_998 }))).toEqual({
      code: 'ACCOUNT_NOT_FOUND',
      httpStatus: 404,
    });
    await fixture.admin.setAccountStatus({ login, status: 'disabled' });
    expect(await refusal(fixture.operator.createLaunchToken({ login }))).toEqual({
      code: 'ACCOUNT_DISABLED',
      httpStatus: 403,
    });
  });
});

describe('AdminClient', () => {
  it('creates, reads, disables and enables accounts', async () => {
    const created = await fixture.admin.createAccount({ login: 80_001, currency: 'EUR', name: 'Alice' });
    expect(created).toMatchObject({
      login: 80_001,
      currency: 'EUR',
      name: 'Alice',
      status: 'active',
      balance: '0.00',
      available: '0.00',
    });
    expect(await refusal(fixture.admin.createAccount({ login: 80_001, currency: 'EUR' }))).toEqual({
      code: 'CONFLICT',
      httpStatus: 409,
    });
    expect(await refusal(fixture.admin.createAccount({ login: 80_002, currency: 'usd' }))).toEqual({
      code: 'INVALID_REQUEST',
      httpStatus: 400,
    });
    expect(await fixture.admin.setAccountStatus({ login: 80_001, status: 'disabled' })).toMatchObject({
      status: 'disabled',
    });
    expect(await fixture.admin.setAccountStatus({ login: 80_001, status: 'active' })).toMatchObject({
      status: 'active',
    });
    expect(await refusal(fixture.admin.getAccount({ login: 80_002 }))).toEqual({
      code: 'ACCOUNT_NOT_FOUND',
      httpStatus: 404,
    });
    const impostor = new AdminClient(fixture.target.baseUrl, 'wrong-admin-key-0123456789');
    expect(await refusal(impostor.getAccount({ login: 80_001 }))).toEqual({ code: 'UNAUTHORIZED', httpStatus: 401 });
    impostor.close();
  });

  it('applies balance operations once per referenceId, with typed refusals', async () => {
    const login = await fixture.account('USD');
    const deposit = {
      accountId: login,
      operation: 'add' as const,
      amount: '100.00',
      comment: 'deposit',
      referenceId: `dep-${login}`,
    };
    await fixture.admin.applyBalanceOperation(deposit);
    await fixture.admin.applyBalanceOperation(deposit); // the same content again: applied once
    await fixture.admin.applyBalanceOperation({
      accountId: login,
      operation: 'credit',
      amount: '20.00',
      referenceId: `bonus-${login}`,
    });
    await fixture.admin.applyBalanceOperation({ accountId: login, operation: 'commission', amount: '1.50' });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({
      balance: '98.50',
      credit: '20.00',
      available: '118.50',
      withdrawable: '98.50',
    });
    expect(await entriesWithKey(fixture.target.sql, `dep-${login}`)).toBe(1);

    expect(await refusal(fixture.admin.applyBalanceOperation({ ...deposit, amount: '100.01' }))).toEqual({
      code: 'CONFLICT',
      httpStatus: 409,
    });
    expect(
      await refusal(fixture.admin.applyBalanceOperation({ accountId: login, operation: 'sub', amount: '98.51' })),
    ).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      httpStatus: 422,
    });
    expect(
      await refusal(fixture.admin.applyBalanceOperation({ accountId: login, operation: 'add', amount: '0.001' })),
    ).toEqual({
      code: 'INVALID_REQUEST',
      httpStatus: 400,
    });
    expect(
      await refusal(fixture.admin.applyBalanceOperation({ accountId: 999_997, operation: 'add', amount: '1' })),
    ).toEqual({
      code: 'ACCOUNT_NOT_FOUND',
      httpStatus: 404,
    });
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '98.50', credit: '20.00' });
  });

  it('answers ACCOUNT_BUSY as uncertain, and a retry with the same referenceId applies once', async () => {
    const login = await fixture.account('USD');
    const release = await holdAccountLock(fixture.target.sql, login);
    const operation = { accountId: login, operation: 'add' as const, amount: '7.00', referenceId: `busy-${login}` };
    const busy = await fixture.admin.applyBalanceOperation(operation).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(UncertainOutcomeError);
    expect(busy).toMatchObject({ reason: 'unavailable', details: { httpStatus: 503, code: 'ACCOUNT_BUSY' } });

    const released = new Promise((resolve) => setTimeout(resolve, 3 * ACCOUNT_LOCK_TIMEOUT_MS)).then(release);
    await retryUncertain(() => fixture.admin.applyBalanceOperation(operation), {
      attemptsMax: 20,
      totalTimeMs: 20_000,
      backoffInitialMs: 20,
      backoffMaxMs: 200,
    });
    await released;
    expect(await fixture.admin.getAccount({ login })).toMatchObject({ balance: '7.00' });
    expect(await entriesWithKey(fixture.target.sql, `busy-${login}`)).toBe(1);
  });

  it('pages through the ledger, newest first', async () => {
    const login = await fixture.account('USD');
    for (const amount of ['1.00', '2.00', '3.00'])
      await fixture.admin.applyBalanceOperation({ accountId: login, operation: 'add', amount });
    const page = await fixture.admin.listTransactions({ login, limit: 2 });
    expect(page.items.map((entry) => entry.balanceChange)).toEqual(['3.00', '2.00']);
    expect(page.nextCursor).not.toBeNull();

    const entries: LedgerEntry[] = [];
    for await (const entry of fixture.admin.transactions({ login, pageSize: 1 })) entries.push(entry);
    expect(entries.map((entry) => [entry.operation, entry.balanceChange])).toEqual([
      ['add', '3.00'],
      ['add', '2.00'],
      ['add', '1.00'],
    ]);
  });

  it('creates manager users', async () => {
    expect(
      await fixture.admin.createManager({ login: 90_001, password: 'a-long-password-1', role: 'SESSION_DEALER' }),
    ).toEqual({ login: 90_001, role: 'SESSION_DEALER' });
    expect(
      await refusal(
        fixture.admin.createManager({ login: 90_001, password: 'a-long-password-1', role: 'SESSION_DEALER' }),
      ),
    ).toEqual({
      code: 'CONFLICT',
      httpStatus: 409,
    });
  });

  it('reconciles and reports: statement, daily totals, ledger export, matching', async () => {
    const login = await fixture.account('USD');
    await fixture.admin.applyBalanceOperation({
      accountId: login,
      operation: 'add',
      amount: '12.34',
      referenceId: `psp-${login}`,
    });
    const period = { from: today(), to: today() };

    expect(await fixture.admin.reconcile(period)).toMatchObject({ clean: true, discrepancies: { count: 0 } });
    expect(await refusal(fixture.admin.reconcile({ from: '2026-02-30' }))).toEqual({
      code: 'INVALID_REQUEST',
      httpStatus: 400,
    });

    const statement = await fixture.admin.statement({ login, ...period });
    expect(statement).toMatchObject({
      login: String(login),
      opening: { balance: '0.00' },
      closing: { balance: '12.34' },
    });
    expect(statement.entries).toHaveLength(1);
    expect(await fixture.admin.balanceAt({ login })).toMatchObject({
      login,
      balance: '12.34',
      entry: { id: expect.any(Number) },
    });
    expect(await fixture.admin.balanceAt({ login, at: '2020-01-01' })).toMatchObject({ balance: '0.00', entry: null });
    const statementLines = (await fixture.admin.statementCsv({ login, ...period })).trim().split('\n');
    expect(statementLines.at(-1)).toMatch(/^closing,.*12\.34/);

    const totals = await fixture.admin.dailyTotals(period);
    expect(totals.totals.some((row) => row.day === today() && row.currency === 'USD' && row.operation === 'add')).toBe(
      true,
    );
    expect(await fixture.admin.dailyTotalsCsv(period)).toContain(`${today()},USD,add`);
    const dashboard = await fixture.admin.dashboard(period);
    expect(dashboard.currencies.find((currency) => currency.currency === 'USD')).toMatchObject({
      days: [{ day: today(), deposits: expect.stringMatching(/^\d+\.\d{2}$/) }],
    });
    expect(await fixture.admin.exportLedgerCsv(period)).toContain(`psp-${login}`);

    const csv = [
      'reference,amount,currency,date',
      `psp-${login},12.34,USD,${today()}`,
      `psp-unknown-${login},5.00,USD,${today()}`,
    ].join('\n');
    const match = await fixture.admin.matchExternalRecords({ csv });
    expect(match).toMatchObject({ dryRun: true, fileRows: 2, counts: { matched: 1, missing_in_ledger: 1 } });
  });
});
