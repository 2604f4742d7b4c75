import { TestApi, useTestService } from '../../support/api';
import type { TestService } from '../../support/test-service';

let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

describe('concurrent requests on one account', () => {
  it('accepts exactly as many of 50 concurrent opentrades as the balance covers', async () => {
    const { login, token } = await api.player('100.00');
    await api.balanceOperation(login, 'credit', '20.00');
    // 120.00 available, 50 stakes of 7.00: exactly 17 fit (119.00)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.wallet.call('opentrade', {
          token,
          amount: '7',
          currency: 'USD',
          externalTradeType: 'c1',
          externalTradeId: `o-${i}`,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 'Ok')).toHaveLength(17);
    expect(statuses.filter((status) => status === 'InsufficientFunds')).toHaveLength(33);
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '1.00', held: '119.00' });
    const { rows } = await target.sql.query(
      `SELECT count(*)::int AS n FROM trades WHERE login = $1 AND state = 'open'`,
      [login],
    );
    expect(rows[0].n).toBe(17);
  });

  it('keeps every stake exactly once under concurrent opens, closes and replays', async () => {
    const { login, token } = await api.player('1000.00');
    const keys = Array.from({ length: 40 }, (_, i) => ({ externalTradeType: 'c2', externalTradeId: `m-${i}` }));
    const open = (key: (typeof keys)[number]) =>
      api.wallet.call('opentrade', { token, amount: '10', currency: 'USD', ...key });
    // every open sent three times at once: one applies, two replay its answer
    await Promise.all(keys.flatMap((key) => [open(key), open(key), open(key)]));
    expect(await api.account(login)).toMatchObject({ balance: '600.00', held: '400.00' });
    // even trades win 25, odd ones lose; each close sent twice at once
    const close = (key: (typeof keys)[number], i: number) =>
      api.wallet.call('closetrade', { token, amount: i % 2 === 0 ? '25' : '0', currency: 'USD', ...key });
    const answers = await Promise.all(keys.flatMap((key, i) => [close(key, i), close(key, i)]));
    expect(answers.every((answer) => answer.status === 'Ok')).toBe(true);
    expect(await api.account(login)).toMatchObject({ balance: '1100.00', held: '0.00' });
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM journal_entries WHERE login = $1`, [login]);
    expect(rows[0].n).toBe(1 + 40 + 40);
  });
});
