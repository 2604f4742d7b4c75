import { TestApi, useTestService } from '../../support/api';
import { bucketsOf, stateSnapshot } from '../../support/probes';
import { TEST_OPERATOR_KEY, TEST_WALLET_SECRET, UNTHROTTLED, type TestService } from '../../support/test-service';

let target: TestService;
let api: TestApi;
let tradeSeq = 0;

useTestService((started) => ({ target, api } = started), { throttleLimits: UNTHROTTLED });

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function balanceOp(login: number, operation: string, amount: unknown, extra: Record<string, unknown> = {}) {
  return api.admin('POST', '/admin/balance', { accountId: login, operation, amount, ...extra });
}

async function expectOk(login: number, operation: string, amount: unknown, extra: Record<string, unknown> = {}) {
  const response = await balanceOp(login, operation, amount, extra);
  expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: true });
}

async function entriesOf(login: number) {
  const { rows } = await target.sql.query(
    `SELECT operation, balance_delta_minor::text AS balance, credit_delta_minor::text AS credit, held_delta_minor::text AS held,
            idempotency_key AS "referenceId", comment, actor_kind AS "actorKind"
       FROM journal_entries WHERE login = $1 ORDER BY account_version`,
    [login],
  );
  return rows;
}

async function accountWith(balance: string, credit = '0') {
  const login = await api.createAccount();
  if (balance !== '0') await expectOk(login, 'add', balance);
  if (credit !== '0') await expectOk(login, 'credit', credit);
  return login;
}

describe('POST /admin/accounts', () => {
  it('creates an account and answers 201 with its empty buckets', async () => {
    const login = api.takeLogin();
    const response = await api.admin('POST', '/admin/accounts', { login, currency: 'EUR', name: 'Ada Lovelace' });
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      login,
      currency: 'EUR',
      name: 'Ada Lovelace',
      status: 'active',
      balance: '0.00',
      credit: '0.00',
      held: '0.00',
      available: '0.00',
      withdrawable: '0.00',
      version: 0,
      createdAt: expect.stringMatching(ISO_TIMESTAMP),
      updatedAt: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect((await api.admin('GET', `/admin/accounts/${login}`)).body).toEqual(response.body);
  });

  it('formats amounts to the currency scale and allows no name', async () => {
    const jpy = api.takeLogin();
    const btc = api.takeLogin();
    const jpyResponse = await api.admin('POST', '/admin/accounts', { login: jpy, currency: 'JPY' });
    expect(jpyResponse.status).toBe(201);
    expect(jpyResponse.body).toMatchObject({
      login: jpy,
      currency: 'JPY',
      name: null,
      balance: '0',
      credit: '0',
      held: '0',
    });
    const btcResponse = await api.admin('POST', '/admin/accounts', { login: btc, currency: 'BTC' });
    expect(btcResponse.body).toMatchObject({ balance: '0.00000000', available: '0.00000000' });
  });

  it('refuses a duplicate login with 409 CONFLICT and keeps the first account', async () => {
    const login = await api.createAccount('USD');
    await expectOk(login, 'add', '5');
    const response = await api.admin('POST', '/admin/accounts', { login, currency: 'EUR', name: 'impostor' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: 'CONFLICT', message: expect.any(String) });
    expect(await api.account(login)).toMatchObject({ currency: 'USD', name: `user ${login}`, balance: '5.00' });
  });

  it.each([['XYZ'], ['usd'], ['US'], ['']])(
    'refuses the unknown currency %j with 400 and creates nothing',
    async (currency) => {
      const login = api.takeLogin();
      const response = await api.admin('POST', '/admin/accounts', { login, currency });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'INVALID_REQUEST', message: expect.any(String) });
      expect((await api.admin('GET', `/admin/accounts/${login}`)).status).toBe(404);
    },
  );

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['fraction', 1001.5],
    ['string', '1001'],
    ['null', null],
    ['2^63', '9223372036854775808'],
  ])('refuses a bad login (%s) with 400', async (_name, login) => {
    const before = await stateSnapshot(target.sql);
    const body =
      login === '9223372036854775808'
        ? `{"login":9223372036854775808,"currency":"USD"}`
        : JSON.stringify({ login, currency: 'USD' });
    const response = await api.http.request('POST', '/admin/accounts', body, {
      Authorization: `Bearer ${target.config.adminApiKey}`,
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'INVALID_REQUEST', message: expect.any(String) });
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });

  it('refuses a missing login or currency with 400', async () => {
    expect((await api.admin('POST', '/admin/accounts', { currency: 'USD' })).status).toBe(400);
    expect((await api.admin('POST', '/admin/accounts', { login: api.takeLogin() })).status).toBe(400);
  });
});

describe('GET /admin/accounts/:login', () => {
  it('answers the buckets with available = balance + credit and withdrawable = balance', async () => {
    const login = await accountWith('30.00', '50.00');
    const token = await api.walletToken(login);
    tradeSeq += 1;
    const opened = await api.wallet.call('opentrade', {
      token,
      amount: '10',
      currency: 'USD',
      externalTradeType: 'options',
      externalTradeId: `admin-${tradeSeq}`,
    });
    expect(opened.status).toBe('Ok');
    expect(await api.account(login)).toMatchObject({
      login,
      balance: '20.00',
      credit: '50.00',
      held: '10.00',
      available: '70.00',
      withdrawable: '20.00',
      version: 3,
    });
  });

  it('answers 404 ACCOUNT_NOT_FOUND for an unknown login', async () => {
    const response = await api.admin('GET', '/admin/accounts/987654321');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'ACCOUNT_NOT_FOUND', message: expect.any(String) });
  });
});

describe('POST /admin/balance operations', () => {
  it('add increases the balance by the absolute amount', async () => {
    const login = await api.createAccount();
    await expectOk(login, 'add', '200');
    await expectOk(login, 'add', '-0.50');
    await expectOk(login, 'add', 1.25); // a JSON number, read by its text
    expect(await api.account(login)).toMatchObject({
      balance: '201.75',
      credit: '0.00',
      held: '0.00',
      withdrawable: '201.75',
    });
    expect(await entriesOf(login)).toEqual([
      expect.objectContaining({ operation: 'add', balance: '20000', credit: '0', held: '0', actorKind: 'admin' }),
      expect.objectContaining({ operation: 'add', balance: '50', credit: '0' }),
      expect.objectContaining({ operation: 'add', balance: '125', credit: '0' }),
    ]);
  });

  it('sub decreases the balance by the absolute amount', async () => {
    const login = await accountWith('100');
    await expectOk(login, 'sub', '30');
    await expectOk(login, 'sub', '-20.5');
    expect(await api.account(login)).toMatchObject({ balance: '49.50', credit: '0.00' });
    expect((await entriesOf(login)).slice(1)).toEqual([
      expect.objectContaining({ operation: 'sub', balance: '-3000', credit: '0' }),
      expect.objectContaining({ operation: 'sub', balance: '-2050', credit: '0' }),
    ]);
  });

  it('adjustment is signed: a positive amount increases, a negative one decreases the balance', async () => {
    const login = await accountWith('100');
    await expectOk(login, 'adjustment', '25.50');
    expect(await api.account(login)).toMatchObject({ balance: '125.50' });
    await expectOk(login, 'adjustment', '-10.25');
    expect(await api.account(login)).toMatchObject({ balance: '115.25', credit: '0.00' });
    expect((await entriesOf(login)).slice(1)).toEqual([
      expect.objectContaining({ operation: 'adjustment', balance: '2550', credit: '0' }),
      expect.objectContaining({ operation: 'adjustment', balance: '-1025', credit: '0' }),
    ]);
  });

  it('commission and swap decrease the balance by the absolute amount', async () => {
    const login = await accountWith('100');
    await expectOk(login, 'commission', '-3');
    await expectOk(login, 'commission', '1.50');
    await expectOk(login, 'swap', '2');
    await expectOk(login, 'swap', '-0.25');
    expect(await api.account(login)).toMatchObject({ balance: '93.25', credit: '0.00', held: '0.00' });
    expect((await entriesOf(login)).slice(1).map((entry) => [entry.operation, entry.balance, entry.credit])).toEqual([
      ['commission', '-300', '0'],
      ['commission', '-150', '0'],
      ['swap', '-200', '0'],
      ['swap', '-25', '0'],
    ]);
  });

  it('credit goes to the credit bucket, debit increases the balance, both by the absolute amount', async () => {
    const login = await api.createAccount();
    await expectOk(login, 'credit', '-100');
    await expectOk(login, 'credit', '20');
    await expectOk(login, 'debit', '-7');
    await expectOk(login, 'debit', '3.10');
    expect(await api.account(login)).toMatchObject({
      balance: '10.10',
      credit: '120.00',
      held: '0.00',
      available: '130.10',
      withdrawable: '10.10',
    });
    expect((await entriesOf(login)).map((entry) => [entry.operation, entry.balance, entry.credit])).toEqual([
      ['credit', '0', '10000'],
      ['credit', '0', '2000'],
      ['debit', '700', '0'],
      ['debit', '310', '0'],
    ]);
  });

  it('posts every operation against a system book so that each entry sums to zero', async () => {
    const login = await accountWith('100', '10');
    for (const [operation, amount] of [
      ['sub', '1'],
      ['adjustment', '-1'],
      ['commission', '1'],
      ['swap', '1'],
      ['debit', '1'],
    ] as const) {
      await expectOk(login, operation, amount);
    }
    const { rows } = await target.sql.query(
      `SELECT e.operation, sum(p.amount_minor)::text AS total, count(*)::int AS postings,
              bool_or(p.book NOT IN ('balance', 'credit', 'held')) AS has_system_book
         FROM journal_entries e JOIN postings p ON p.entry_id = e.id
        WHERE e.login = $1 GROUP BY e.id, e.operation ORDER BY e.id`,
      [login],
    );
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row).toMatchObject({ total: '0', postings: 2, has_system_book: true });
    expect(await api.account(login)).toMatchObject({ balance: '97.00', credit: '10.00' });
  });

  it('answers 404 ACCOUNT_NOT_FOUND for an unknown accountId and moves nothing', async () => {
    const before = await stateSnapshot(target.sql);
    const response = await balanceOp(99999999, 'add', '10');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'ACCOUNT_NOT_FOUND', message: expect.any(String) });
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });
});

describe('POST /admin/balance refusals', () => {
  it.each([['sub'], ['commission'], ['swap']])(
    'refuses %s beyond the balance with 422, never taking credit',
    async (operation) => {
      const login = await accountWith('10', '100');
      const before = await stateSnapshot(target.sql);
      const response = await balanceOp(login, operation, '10.01');
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ error: 'INSUFFICIENT_FUNDS', message: expect.any(String) });
      expect(await stateSnapshot(target.sql)).toEqual(before);
      expect(await api.account(login)).toMatchObject({ balance: '10.00', credit: '100.00', available: '110.00' });
    },
  );

  it('never lets credit be withdrawn: balance 10 and credit 100, sub 11 is 422', async () => {
    const login = await accountWith('10', '100');
    const response = await balanceOp(login, 'sub', '11');
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'INSUFFICIENT_FUNDS' });
    expect(await api.account(login)).toMatchObject({
      balance: '10.00',
      credit: '100.00',
      withdrawable: '10.00',
      version: 2,
    });
    // the whole balance can go, the credit stays
    await expectOk(login, 'sub', '10');
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '100.00', withdrawable: '0.00' });
    expect((await balanceOp(login, 'sub', '0.01')).status).toBe(422);
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '100.00' });
  });

  it('refuses a negative adjustment beyond the balance with 422', async () => {
    const login = await accountWith('10', '100');
    const before = await stateSnapshot(target.sql);
    const response = await balanceOp(login, 'adjustment', '-10.01');
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'INSUFFICIENT_FUNDS' });
    expect(await stateSnapshot(target.sql)).toEqual(before);
    await expectOk(login, 'adjustment', '-10');
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '100.00' });
  });

  it('never takes a decrease from held funds', async () => {
    const login = await accountWith('100');
    const token = await api.walletToken(login);
    tradeSeq += 1;
    const opened = await api.wallet.call('opentrade', {
      token,
      amount: '60',
      currency: 'USD',
      externalTradeType: 'options',
      externalTradeId: `admin-${tradeSeq}`,
    });
    expect(opened).toMatchObject({ status: 'Ok', balance: '40.00' });
    for (const operation of ['sub', 'commission', 'swap']) {
      const response = await balanceOp(login, operation, '40.01');
      expect(response.status).toBe(422);
    }
    expect((await balanceOp(login, 'adjustment', '-40.01')).status).toBe(422);
    expect(await api.account(login)).toMatchObject({ balance: '40.00', held: '60.00' });
    await expectOk(login, 'sub', '40');
    expect(await api.account(login)).toMatchObject({ balance: '0.00', held: '60.00' });
  });

  it.each([['add'], ['sub'], ['adjustment'], ['commission'], ['swap'], ['credit'], ['debit']])(
    'refuses a zero amount for %s with 400 and moves nothing',
    async (operation) => {
      const login = await accountWith('50', '5');
      const before = await stateSnapshot(target.sql);
      for (const amount of ['0', '0.00', '-0', 0]) {
        const response = await balanceOp(login, operation, amount);
        expect({ amount, status: response.status, body: response.body }).toEqual({
          amount,
          status: 400,
          body: { error: 'INVALID_REQUEST', message: expect.any(String) },
        });
      }
      expect(await stateSnapshot(target.sql)).toEqual(before);
    },
  );

  it('refuses an unknown operation with 400', async () => {
    const login = await accountWith('50');
    const before = await stateSnapshot(target.sql);
    for (const operation of ['deposit', 'ADD', '', 'withdraw']) {
      expect((await balanceOp(login, operation, '1')).status).toBe(400);
    }
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });
});

describe('referenceId', () => {
  it('processes a referenceId once: the same content again answers 200 true and moves nothing', async () => {
    const login = await api.createAccount();
    await expectOk(login, 'add', '10', { referenceId: 'dep-1', comment: 'first deposit' });
    const before = await stateSnapshot(target.sql);
    await expectOk(login, 'add', '10', { referenceId: 'dep-1', comment: 'first deposit' });
    await expectOk(login, 'add', '10.00', { referenceId: 'dep-1', comment: 'first deposit' }); // same amount, other text
    expect(await stateSnapshot(target.sql)).toEqual(before);
    expect(await api.account(login)).toMatchObject({ balance: '10.00', version: 1 });
    const { rows } = await target.sql.query(
      `SELECT count(*)::int AS entries, sum(balance_delta_minor)::text AS total FROM journal_entries WHERE idempotency_key = 'dep-1'`,
    );
    expect(rows[0]).toEqual({ entries: 1, total: '1000' });
    const records = await target.sql.query(
      `SELECT count(*)::int AS n FROM finance_records WHERE reference_id = 'dep-1'`,
    );
    expect(records.rows[0].n).toBe(1);
  });

  it('answers 409 CONFLICT when a referenceId comes back with other content, and moves nothing', async () => {
    const login = await api.createAccount();
    const other = await api.createAccount();
    await expectOk(login, 'add', '10', { referenceId: 'dep-2' });
    const before = await stateSnapshot(target.sql);
    const refusedBefore = await target.sql.query(
      `SELECT count(*)::int AS n FROM refused_duplicates WHERE idempotency_key = 'dep-2'`,
    );
    expect(refusedBefore.rows[0].n).toBe(0);
    const variants: [number, string, string, Record<string, unknown>][] = [
      [login, 'add', '11', {}],
      [login, 'credit', '10', {}],
      [login, 'add', '10', { comment: 'another comment' }],
      [other, 'add', '10', {}],
    ];
    for (const [account, operation, amount, extra] of variants) {
      const response = await balanceOp(account, operation, amount, { referenceId: 'dep-2', ...extra });
      expect({ operation, amount, status: response.status, body: response.body }).toEqual({
        operation,
        amount,
        status: 409,
        body: { error: 'CONFLICT', message: expect.any(String) },
      });
    }
    const { rows } = await target.sql.query(
      `SELECT login::int, balance_delta_minor::text AS balance, credit_delta_minor::text AS credit
         FROM journal_entries WHERE idempotency_key = 'dep-2'`,
    );
    expect(rows).toEqual([{ login, balance: '1000', credit: '0' }]);
    expect(await stateSnapshot(target.sql)).toEqual(before);
    // the refusals are recorded for the finance team
    const refused = await target.sql.query(
      `SELECT count(*)::int AS n FROM refused_duplicates WHERE idempotency_key = 'dep-2'`,
    );
    expect(refused.rows[0].n).toBe(variants.length);
    expect(await api.account(login)).toMatchObject({ balance: '10.00', credit: '0.00' });
    expect(await api.account(other)).toMatchObject({ balance: '0.00' });
  });

  it('answers a replay from the first outcome even when the balance changed since', async () => {
    const login = await accountWith('100');
    await expectOk(login, 'sub', '60', { referenceId: 'wd-1' });
    await expectOk(login, 'sub', '30');
    // balance is 10 now: a new sub of 60 would be refused, the replay is not a new sub
    await expectOk(login, 'sub', '60', { referenceId: 'wd-1' });
    expect(await api.account(login)).toMatchObject({ balance: '10.00' });
    const { rows } = await target.sql.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = 'wd-1'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('does not consume a referenceId on a refused operation', async () => {
    const login = await accountWith('10');
    expect((await balanceOp(login, 'sub', '50', { referenceId: 'wd-2' })).status).toBe(422);
    await expectOk(login, 'add', '100');
    await expectOk(login, 'sub', '50', { referenceId: 'wd-2' });
    expect(await api.account(login)).toMatchObject({ balance: '60.00' });
  });

  it('applies concurrent requests with one referenceId exactly once', async () => {
    const login = await api.createAccount();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => balanceOp(login, 'add', '7.5', { referenceId: 'dep-race' })),
    );
    expect(responses.map((response) => [response.status, response.body])).toEqual(
      Array.from({ length: 12 }, () => [200, true]),
    );
    expect(await api.account(login)).toMatchObject({ balance: '7.50', version: 1 });
    const { rows } = await target.sql.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = 'dep-race'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('keeps operations without a referenceId independent', async () => {
    const login = await api.createAccount();
    await expectOk(login, 'add', '5');
    await expectOk(login, 'add', '5');
    expect(await api.account(login)).toMatchObject({ balance: '10.00', version: 2 });
  });
});

describe('GET /admin/accounts/:login/transactions', () => {
  async function page(login: number, query: string) {
    const response = await api.admin('GET', `/admin/accounts/${login}/transactions${query}`);
    expect(response.status).toBe(200);
    return response.body as { items: Record<string, unknown>[]; nextCursor: string | null };
  }

  async function sevenEntries() {
    const login = await api.createAccount();
    for (let i = 1; i <= 7; i += 1)
      await expectOk(login, 'add', String(i), { comment: `deposit ${i}`, referenceId: `tx-${login}-${i}` });
    return login;
  }

  it('lists entries newest first with their changes, values after, postings and provenance', async () => {
    const login = await api.createAccount();
    await expectOk(login, 'add', '100', { comment: 'wire', referenceId: `ref-${login}` });
    await expectOk(login, 'credit', '20');
    await expectOk(login, 'sub', '30.5');
    const { items, nextCursor } = await page(login, '');
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({
      version: 3,
      operation: 'sub',
      currency: 'USD',
      balanceChange: '-30.50',
      creditChange: '0.00',
      heldChange: '0.00',
      balanceAfter: '69.50',
      creditAfter: '20.00',
      heldAfter: '0.00',
      actorKind: 'admin',
      referenceId: null,
      comment: null,
    });
    expect(items[1]).toMatchObject({
      version: 2,
      operation: 'credit',
      creditChange: '20.00',
      balanceAfter: '100.00',
      creditAfter: '20.00',
    });
    expect(items[2]).toMatchObject({
      version: 1,
      operation: 'add',
      balanceChange: '100.00',
      balanceAfter: '100.00',
      referenceId: `ref-${login}`,
      comment: 'wire',
      createdAt: expect.stringMatching(ISO_TIMESTAMP),
    });
    const postings = items[2]!.postings as { book: string; amount: string }[];
    expect(postings).toHaveLength(2);
    expect(postings).toContainEqual({ book: 'balance', amount: '100.00' });
    expect(postings.reduce((sum, posting) => sum + Math.round(Number(posting.amount) * 100), 0)).toBe(0);
  });

  it('pages with a cursor: every entry exactly once, in order, nextCursor null at the end', async () => {
    const login = await sevenEntries();
    const seen: Record<string, unknown>[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${encodeURIComponent(cursor)}`;
      const result = await page(login, query);
      pageSizes.push(result.items.length);
      seen.push(...result.items);
      cursor = result.nextCursor;
      if (cursor === null) break;
      expect(typeof cursor).toBe('string');
    }
    expect(cursor).toBeNull();
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen.map((entry) => entry.comment)).toEqual([7, 6, 5, 4, 3, 2, 1].map((i) => `deposit ${i}`));
    expect(seen.map((entry) => entry.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(new Set(seen.map((entry) => entry.id)).size).toBe(7);
    expect(seen.map((entry) => entry.balanceAfter)).toEqual([
      '28.00',
      '21.00',
      '15.00',
      '10.00',
      '6.00',
      '3.00',
      '1.00',
    ]);
  });

  it('ends with nextCursor null when the last page is exactly full, and lists all by default', async () => {
    const login = await sevenEntries();
    expect(await page(login, '?limit=7')).toMatchObject({ nextCursor: null });
    expect((await page(login, '?limit=7')).items).toHaveLength(7);
    const all = await page(login, '');
    expect(all.items).toHaveLength(7);
    expect(all.nextCursor).toBeNull();
  });

  it('keeps a cursor stable when new entries arrive between pages', async () => {
    const login = await sevenEntries();
    const first = await page(login, '?limit=3');
    await expectOk(login, 'add', '100', { comment: 'late' });
    const second = await page(login, `?limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.items.map((entry) => entry.comment)).toEqual(['deposit 4', 'deposit 3', 'deposit 2']);
    expect((await page(login, '?limit=1')).items[0]).toMatchObject({ comment: 'late', version: 8 });
  });

  it('shows only the entries of the account asked for', async () => {
    const first = await accountWith('1');
    const second = await accountWith('2');
    await expectOk(first, 'add', '3');
    expect((await page(first, '')).items.map((entry) => entry.balanceChange)).toEqual(['3.00', '1.00']);
    expect((await page(second, '')).items.map((entry) => entry.balanceChange)).toEqual(['2.00']);
  });

  it('answers an account without entries with an empty page', async () => {
    const login = await api.createAccount();
    expect(await page(login, '')).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['base64 of junk', Buffer.from('v2:abc').toString('base64url')],
    ['non-numeric version', Buffer.from('v1:abc').toString('base64url')],
  ])('refuses an invalid cursor (%s) with 400', async (_name, cursor) => {
    const login = await sevenEntries();
    const response = await api.admin(
      'GET',
      `/admin/accounts/${login}/transactions?cursor=${encodeURIComponent(cursor)}`,
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'INVALID_REQUEST', message: expect.any(String) });
  });

  it.each([['0'], ['501'], ['-1'], ['abc'], ['1.5'], ['']])('refuses limit=%j with 400', async (limit) => {
    const login = await sevenEntries();
    const response = await api.admin('GET', `/admin/accounts/${login}/transactions?limit=${limit}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'INVALID_REQUEST', message: expect.any(String) });
  });

  it('accepts the largest limit', async () => {
    const login = await sevenEntries();
    expect((await page(login, '?limit=500')).items).toHaveLength(7);
  });

  it('answers 404 ACCOUNT_NOT_FOUND for an unknown login', async () => {
    const response = await api.admin('GET', '/admin/accounts/87654321/transactions');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'ACCOUNT_NOT_FOUND', message: expect.any(String) });
  });
});

describe('admin authentication', () => {
  const endpoints: [string, string, (login: number) => string, (login: number) => unknown][] = [
    ['POST', '/admin/accounts', () => '/admin/accounts', () => ({ login: 7_000_001, currency: 'USD' })],
    ['GET', '/admin/accounts/:login', (login) => `/admin/accounts/${login}`, () => undefined],
    ['PATCH', '/admin/accounts/:login', (login) => `/admin/accounts/${login}`, () => ({ status: 'disabled' })],
    ['GET', '/admin/accounts/:login/transactions', (login) => `/admin/accounts/${login}/transactions`, () => undefined],
    [
      'POST',
      '/admin/balance',
      () => '/admin/balance',
      (login) => ({ accountId: login, operation: 'add', amount: '1' }),
    ],
    [
      'POST',
      '/admin/managers',
      () => '/admin/managers',
      () => ({ login: 'mgr', password: 'secret-password-1', role: 'SESSION_ADMIN' }),
    ],
  ];
  const badCredentials = (adminKey: string): [string, Record<string, string>][] => [
    ['no key', {}],
    ['the operator key', { Authorization: `Bearer ${TEST_OPERATOR_KEY}` }],
    ['the wallet secret', { Authorization: `Bearer ${TEST_WALLET_SECRET}` }],
    ['a wrong key', { Authorization: 'Bearer wrong-key-0123456789abcdef' }],
    ['the admin key with a suffix', { Authorization: `Bearer ${adminKey}x` }],
    ['the admin key without Bearer', { Authorization: adminKey }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['basic auth', { Authorization: `Basic ${Buffer.from(`admin:${adminKey}`).toString('base64')}` }],
  ];

  it.each(endpoints)(
    '%s %s refuses every wrong credential with 401 UNAUTHORIZED and changes nothing',
    async (method, _name, path, body) => {
      const login = await accountWith('10');
      const before = await stateSnapshot(target.sql);
      for (const [credential, headers] of badCredentials(target.config.adminApiKey)) {
        const payload = body(login);
        const response = await api.http.request(
          method,
          path(login),
          payload === undefined ? null : JSON.stringify(payload),
          headers,
        );
        expect({ credential, status: response.status, body: response.body }).toEqual({
          credential,
          status: 401,
          body: { error: 'UNAUTHORIZED', message: expect.any(String) },
        });
      }
      expect(await stateSnapshot(target.sql)).toEqual(before);
      expect(await bucketsOf(target.sql, login)).toMatchObject({ balance: '1000' });
    },
  );
});
