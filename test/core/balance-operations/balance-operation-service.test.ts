import { TestApi, useTestService } from '../../support/api';
import type { TestService } from '../../support/test-service';

/**
 * Balance operations coalesced per lane (balance_operation_apply_batch), through the admin API of a
 * real service: every operation keeps its own outcome and its once-only key, whatever it shares a
 * transaction with. The ledger's invariants are checked after every test (useTestService).
 */
let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

async function entriesWithKey(key: string): Promise<number> {
  const { rows } = await target.sql.query(
    `SELECT count(*)::int AS entries FROM journal_entries WHERE idempotency_key = $1`,
    [key],
  );
  return rows[0].entries as number;
}

async function batchSizes(): Promise<{ sum: number; count: number }> {
  const text = (await api.http.request('GET', '/metrics', null)).text;
  const read = (name: string) =>
    Number(new RegExp(`^wallet_balance_operation_batch_size_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');
  return { sum: read('sum'), count: read('count') };
}

describe('concurrent balance operations', () => {
  it('are each applied once, with its own outcome, however they were batched', async () => {
    const logins = await Promise.all(Array.from({ length: 8 }, () => api.createAccount()));
    await Promise.all(logins.map((login) => api.deposit(login, '10.00')));
    const before = await batchSizes();

    // per account: 4 deposits of 1.00 and one withdrawal of 100.00 that its balance cannot cover
    const requests = logins.flatMap((login) => [
      ...Array.from({ length: 4 }, () => ({ login, operation: 'add', amount: '1.00' })),
      { login, operation: 'sub', amount: '100.00' },
    ]);
    const answers = await Promise.all(
      requests.map((request) => api.balanceOperation(request.login, request.operation, request.amount)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(
      requests.map((request) => (request.operation === 'add' ? 200 : 422)),
    );
    for (const login of logins) expect(await api.account(login)).toMatchObject({ balance: '14.00' });

    const after = await batchSizes();
    expect(after.sum - before.sum).toBe(requests.length);
    expect(after.count - before.count).toBeLessThanOrEqual(requests.length);
  });

  it('apply a once-only key once, on one account or across two', async () => {
    const [first, second] = [await api.createAccount(), await api.createAccount()];
    const sameAccount = await Promise.all(
      Array.from({ length: 10 }, () => api.balanceOperation(first, 'add', '2.00', 'ref-same-account')),
    );
    expect(sameAccount.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(await api.account(first)).toMatchObject({ balance: '2.00' });
    expect(await entriesWithKey('ref-same-account')).toBe(1);

    // the same key on another account is other content: refused, whichever comes first
    const acrossAccounts = await Promise.all(
      [first, second, first, second].map((login) => api.balanceOperation(login, 'add', '3.00', 'ref-two-accounts')),
    );
    expect(acrossAccounts.map((answer) => answer.status).sort()).toEqual([200, 200, 409, 409]);
    expect(await entriesWithKey('ref-two-accounts')).toBe(1);
    // the key's deposit went to one account, whichever came first
    const balances = [(await api.account(first)).balance, (await api.account(second)).balance];
    expect([
      ['5.00', '0.00'],
      ['2.00', '3.00'],
    ]).toContainEqual(balances);
  });
});
