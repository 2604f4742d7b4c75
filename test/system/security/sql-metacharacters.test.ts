import type pg from 'pg';
import { ManagerClient } from '@wallet-service/client';
import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { TestApi } from '../../support/api';
import { managerClient, MANAGER_PASSWORD } from '../../support/manager';
import { TEST_ADMIN_KEY, ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * SQL metacharacters in every string field of every API: stored verbatim where the field takes
 * text, refused where the value is invalid (a login, a currency, a date, a token), never an error,
 * and the database intact afterwards. (test/http/bad-input.test.ts stores a first set of such
 * strings in admin names, comments, referenceIds and trade keys; this file covers every other field
 * and every API.)
 */

const NASTY = [
  `'; DROP TABLE accounts; --`,
  `1'); DELETE FROM journal_entries; --`,
  `' OR '1'='1`,
  `"; TRUNCATE postings CASCADE; --`,
  `$$; DROP TABLE trades; $$`,
  `\\'; SELECT pg_sleep(10); --`,
  `%' AND 1=1 --`,
  `_%_`,
  `? $1 :login ::text`,
  `/* x */ UNION SELECT password_hash FROM managers --`,
  `E'\\x27'; COMMIT; DROP TABLE wallet_nonces; --`,
  `\`\`; \\\\; \\0; ;`,
];

let target: TestService;
let api: TestApi;
let manager: ManagerClient;
let consoleCookie: string;
let schemaBefore: unknown;

/** Every table, function and index of the schema: nothing may be dropped or added by a request. */
async function schema(sql: pg.Pool): Promise<unknown> {
  const tables = await sql.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  const routines = await sql.query(
    `SELECT routine_name FROM information_schema.routines WHERE routine_schema = 'public' ORDER BY 1`,
  );
  const indexes = await sql.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
  return { tables: tables.rows, routines: routines.rows, indexes: indexes.rows };
}

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  manager = (await managerClient(api, target.service.managerPort)).client;
  consoleCookie = (await api.consoleSession()).cookie;
  schemaBefore = await schema(target.sql);
});
afterEach(async () => {
  expect(await schema(target.sql)).toEqual(schemaBefore);
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await manager.close();
  api.close();
  await target.stop();
});

describe('wallet API', () => {
  it('stores trade types and ids verbatim, and keeps them once-only', async () => {
    const { login, token } = await api.player('100.00');
    for (const [index, text] of NASTY.entries()) {
      const trade = { token, currency: 'USD', externalTradeType: text, externalTradeId: `${text}#${index}` };
      expect(await api.wallet.call('opentrade', { ...trade, amount: '1' })).toMatchObject({ status: 'Ok' });
      expect(await api.wallet.call('opentrade', { ...trade, amount: '1' })).toMatchObject({ status: 'Ok' });
      expect(await api.wallet.call('opentrade', { ...trade, amount: '2' })).toMatchObject({
        status: 'DuplicateTransaction',
      });
      expect(await api.wallet.call('closetrade', { ...trade, amount: '3' })).toMatchObject({ status: 'Ok' });
    }
    const { rows } = await target.sql.query(
      `SELECT trade_type, trade_id, state FROM trades WHERE login = $1 ORDER BY trade_id`,
      [login],
    );
    expect(rows).toEqual(
      NASTY.map((text, index) => ({ trade_type: text, trade_id: `${text}#${index}`, state: 'closed' })).sort((a, b) =>
        a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0,
      ),
    );
    expect(await api.account(login)).toMatchObject({ balance: `${100 + 2 * NASTY.length}.00`, held: '0.00' });
  });

  it('answers InvalidToken to such a token and InvalidRequest to such a currency, moving nothing', async () => {
    const { login, token } = await api.player('100.00');
    for (const [index, text] of NASTY.entries()) {
      const trade = { currency: 'USD', amount: '1', externalTradeType: 'sql', externalTradeId: `sql-${index}` };
      expect(await api.wallet.call('authenticate', { token: text })).toMatchObject({ status: 'InvalidToken' });
      expect(await api.wallet.call('getbalance', { token: text, currency: 'USD' })).toMatchObject({
        status: 'InvalidToken',
      });
      expect(await api.wallet.call('opentrade', { ...trade, token: text })).toMatchObject({ status: 'InvalidToken' });
      expect(await api.wallet.call('closetrade', { ...trade, token: text })).toMatchObject({ status: 'InvalidToken' });
      expect(await api.wallet.call('getbalance', { token, currency: text })).toMatchObject({
        status: 'InvalidRequest',
      });
      expect(await api.wallet.call('opentrade', { ...trade, token, currency: text })).toMatchObject({
        status: 'InvalidRequest',
      });
    }
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM trades WHERE login = $1`, [login]);
    expect(rows[0].n).toBe(0);
    expect(await api.account(login)).toMatchObject({ balance: '100.00', held: '0.00', version: 1 });
  });
});

describe('admin API', () => {
  it('stores names, comments and referenceIds verbatim, and a password as typed', async () => {
    for (const [index, text] of NASTY.entries()) {
      const login = 9_100 + index;
      expect(await api.admin('POST', '/admin/accounts', { login, currency: 'USD', name: text })).toMatchObject({
        status: 201,
        body: { name: text },
      });
      const operation = {
        accountId: login,
        operation: 'add',
        amount: '5',
        comment: text,
        referenceId: `${text}@${index}`,
      };
      expect(await api.admin('POST', '/admin/balance', operation)).toMatchObject({ status: 200, body: true });
      expect(await api.admin('POST', '/admin/balance', operation)).toMatchObject({ status: 200, body: true });
      expect(await api.admin('POST', '/admin/balance', { ...operation, amount: '6' })).toMatchObject({ status: 409 });
      const page = (await api.admin('GET', `/admin/accounts/${login}/transactions`)).body as {
        items: Array<{ comment: string; referenceId: string }>;
      };
      expect(page.items.map((item) => [item.comment, item.referenceId])).toEqual([[text, `${text}@${index}`]]);
      expect(await api.account(login)).toMatchObject({ name: text, balance: '5.00' });
    }
    // a password is never stored, but one made of metacharacters works as typed
    const managerLogin = 9_200;
    const password = NASTY[0]!;
    expect(
      (await api.admin('POST', '/admin/managers', { login: managerLogin, password, role: 'SESSION_VIEWER' })).status,
    ).toBe(201);
    const client = await ManagerClient.connect(target.service.managerPort);
    try {
      expect(await client.login(managerLogin, password)).toMatchObject({
        status: 200,
        data: { role: 'SESSION_VIEWER' },
      });
    } finally {
      await client.close();
    }
  });

  it('refuses such a login, status, role, cursor, limit, date or format with 400', async () => {
    const login = await api.createAccount();
    for (const text of NASTY) {
      const q = encodeURIComponent(text);
      const requests: Array<[string, string, unknown]> = [
        ['POST', '/admin/accounts', { login: text, currency: 'USD' }],
        ['POST', '/admin/accounts', { login: 9_300, currency: text }],
        ['PATCH', `/admin/accounts/${login}`, { status: text }],
        ['POST', '/admin/balance', { accountId: text, operation: 'add', amount: '1' }],
        ['POST', '/admin/balance', { accountId: login, operation: text, amount: '1' }],
        ['POST', '/admin/balance', { accountId: login, operation: 'add', amount: text }],
        ['POST', '/admin/managers', { login: text, password: 'long-enough-password', role: 'SESSION_VIEWER' }],
        ['POST', '/admin/managers', { login: 9_301, password: 'long-enough-password', role: text }],
        ['GET', `/admin/accounts/${q}`, undefined],
        ['GET', `/admin/accounts/${q}/transactions`, undefined],
        ['GET', `/admin/accounts/${login}/transactions?cursor=${q}`, undefined],
        ['GET', `/admin/accounts/${login}/transactions?limit=${q}`, undefined],
        ['GET', `/admin/reconciliation?from=${q}`, undefined],
        ['GET', `/admin/reconciliation?staleHoldAgeS=${q}`, undefined],
        ['GET', `/admin/reports/daily-totals?to=${q}`, undefined],
        ['GET', `/admin/reports/daily-totals?format=${q}`, undefined],
        ['GET', `/admin/accounts/${login}/statement?from=${q}`, undefined],
        ['GET', `/admin/ledger/export?to=${q}`, undefined],
        ['POST', `/admin/reconciliation/match?side=${q}`, undefined],
      ];
      for (const [method, path, body] of requests) {
        const response = await api.admin(method, path, body);
        expect({ method, path, status: response.status, error: (response.body as { error?: string }).error }).toEqual({
          method,
          path,
          status: 400,
          error: 'INVALID_REQUEST',
        });
      }
    }
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM accounts WHERE login IN (9300, 9301)`);
    expect(rows[0].n).toBe(0);
    expect(await api.account(login)).toMatchObject({ status: 'active', version: 0 });
  });

  it('matches and saves such references verbatim in a reconciliation run', async () => {
    const login = await api.createAccount();
    for (const [index, text] of NASTY.entries()) {
      expect(await manager.command('BalanceIn', { login, amount: 1, referenceId: `${text}~${index}` })).toMatchObject({
        status: 200,
      });
    }
    const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
    const today = new Date().toISOString().slice(0, 10);
    const csv = [
      'reference,amount,currency,date',
      ...NASTY.map((text, index) => `${quote(`${text}~${index}`)},1.00,USD,${today}`),
      ...NASTY.map((text) => `${quote(`${text}!`)},2.00,USD,${today}`),
    ].join('\n');
    const response = await api.http.request('POST', '/admin/reconciliation/match?dryRun=false', csv, {
      Authorization: `Bearer ${TEST_ADMIN_KEY}`,
    });
    expect(response.status).toBe(200);
    const { rows } = await target.sql.query(
      `SELECT outcome, reference FROM reconciliation_matches WHERE run_id = (SELECT max(id) FROM reconciliation_runs) AND outcome <> 'missing_in_file'`,
    );
    const saved = rows.map((row) => `${row.outcome} ${row.reference}`).sort();
    expect(saved).toEqual(
      [
        ...NASTY.map((text, index) => `matched ${text}~${index}`),
        ...NASTY.map((text) => `missing_in_ledger ${text}!`),
      ].sort(),
    );
  });
});

describe('operator API', () => {
  it('refuses such a login with 400 and issues nothing', async () => {
    const before = (await target.sql.query(`SELECT count(*)::int AS n FROM launch_tokens`)).rows[0].n;
    for (const text of NASTY) {
      expect(await api.operator('POST', '/operator/launch-tokens', { login: text })).toMatchObject({
        status: 400,
        body: { error: 'INVALID_REQUEST' },
      });
    }
    expect((await target.sql.query(`SELECT count(*)::int AS n FROM launch_tokens`)).rows[0].n).toBe(before);
  });
});

describe('manager TCP API', () => {
  it('stores comments and referenceIds verbatim, keeps referenceIds once-only, and echoes extIDs verbatim', async () => {
    const login = await api.createAccount();
    for (const [index, text] of NASTY.entries()) {
      const data = { login, amount: 2, comment: text, referenceId: `${text}^${index}` };
      const first = await manager.command('CreditInSync', data, { extID: text });
      expect(first).toMatchObject({ extID: text, status: 200, data: { comment: text, profit: 2 } });
      expect(await manager.command('CreditInSync', data)).toMatchObject({
        status: 200,
        data: { order: first.data.order },
      });
      expect(await manager.command('CreditIn', { ...data, amount: 3 })).toMatchObject({
        status: 409,
        data: { error: 'DUPLICATE' },
      });
      expect(await manager.command('BalanceIn', { login, amount: 1, comment: text })).toMatchObject({ status: 200 });
    }
    const { rows } = await target.sql.query(
      `SELECT comment, idempotency_key FROM journal_entries WHERE login = $1 AND credit_delta_minor <> 0 ORDER BY account_version`,
      [login],
    );
    expect(rows).toEqual(NASTY.map((text, index) => ({ comment: text, idempotency_key: `${text}^${index}` })));
    const listed = await manager.command('GetTransactionsByLogin', { login });
    // records are listed by close time (seconds): compare as sets of comments
    expect((listed.data.records as Array<{ comment: string }>).map((record) => record.comment).sort()).toEqual(
      NASTY.flatMap((text) => [text, text]).sort(),
    );
    expect(await api.account(login)).toMatchObject({ balance: `${NASTY.length}.00`, credit: `${2 * NASTY.length}.00` });
  });

  it('refuses such a command, login, amount or order, and keeps the connection', async () => {
    const login = await api.createAccount();
    for (const text of NASTY) {
      expect(await manager.command(text, { login })).toMatchObject({ status: 400, data: { error: 'UNKNOWN_COMMAND' } });
      expect(await manager.command('BalanceIn', { login: text, amount: 1 })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('BalanceIn', { login, amount: text })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('BalanceIn', { login, amount: 1, order: text })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('GetFinanceRecord', { order: text })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('GetTransactionsByLogin', { login: text })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('Login', { login: text, password: MANAGER_PASSWORD })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
      expect(await manager.command('Subscribe', { channels: [text] })).toMatchObject({
        status: 400,
        data: { error: 'INVALID_DATA' },
      });
    }
    expect(await manager.command('Ping')).toMatchObject({ status: 200 });
    expect(await api.account(login)).toMatchObject({ balance: '0.00', version: 0 });
  });
});

describe('web console', () => {
  const page = (path: string) => api.http.request('GET', path, null, { Cookie: `${SESSION_COOKIE}=${consoleCookie}` });

  it('refuses such a login, cursor, operation or date with a 400 page, searches such text as text, and escapes what it shows back', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '1');
    for (const text of NASTY) {
      const q = encodeURIComponent(text);
      for (const path of [
        `/console/accounts/${q}`,
        `/console/accounts/${login}?cursor=${q}`,
        `/console/accounts/${login}?operation=${q}`,
        `/console/accounts/${login}?from=${q}`,
        `/console/accounts/${login}?at=${q}`,
        `/console/accounts/${login}/statement?from=${q}`,
        `/console/accounts/${login}/statement?format=${q}`,
        `/console/reconciliation?from=${q}&run=1`,
      ]) {
        const response = await page(path);
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
        expect(response.headers['content-type']).toMatch(/^text\/html/);
      }
      // a search and a reference are text (this file's accounts carry such names), shown back escaped
      for (const path of [`/console/accounts?search=${q}`, `/console/accounts/${login}?reference=${q}`]) {
        const response = await page(path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        if (/[<>"'&]/.test(text)) expect(response.text).not.toContain(text);
      }
      expect((await page(`/console/accounts/${login}?reference=${q}`)).text).toContain('No entries.');
    }
    expect((await page(`/console/accounts?search=${login}`)).text).toContain(`<tr data-login="${login}">`);
    expect((await page(`/console/accounts/${login}`)).status).toBe(200);
  });
});
