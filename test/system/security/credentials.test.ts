import { randomBytes } from 'node:crypto';
import { ManagerClient } from '@wallet-service/client';
import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { signLegacy, signV2 } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { MANAGER_PASSWORD } from '../../support/manager';
import { bucketsOf, stateSnapshot } from '../../support/probes';
import {
  TEST_ADMIN_KEY,
  TEST_OPERATOR_KEY,
  TEST_WALLET_SECRET,
  ledgerDiscrepancies,
  startTestService,
  UNTHROTTLED,
  type TestService,
} from '../../support/test-service';

/**
 * Every credential against every API: a wallet token, the operator key, the admin key, the wallet
 * secret, a manager session token of each role and a console session cookie, each presented to the
 * wallet API, the operator API, the admin API (reconciliation included), the manager TCP API and the
 * web console. Only the right credential works; every other one is refused the API's way and changes
 * nothing.
 */

const ROLES = ['SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER', 'SESSION_VIEWER'] as const;
const MONEY_ROLES = new Set<string>(['SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER']);
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

let target: TestService;
let api: TestApi;
let login: number;
let walletToken: string;
let consoleCookie: string;
let consoleCsrf: string;
let consoleUser: { username: string; password: string };
const managerTokens: Record<string, string> = {};
let credentials: Array<{ name: string; value: string }>;
let tradeSeq = 0;

beforeAll(async () => {
  target = await startTestService({}, undefined, { throttleLimits: UNTHROTTLED });
  api = new TestApi(target);
  ({ login, token: walletToken } = await api.player('100.00'));
  expect((await api.balanceOperation(login, 'credit', '50')).status).toBe(200);
  for (const role of ROLES) {
    const managerLogin = api.takeLogin() + 500_000;
    expect(
      (await api.admin('POST', '/admin/managers', { login: managerLogin, password: MANAGER_PASSWORD, role })).status,
    ).toBe(201);
    const client = await ManagerClient.connect(target.service.managerPort);
    const answer = await client.login(managerLogin, MANAGER_PASSWORD);
    await client.close();
    expect(answer).toMatchObject({ status: 200, data: { role } });
    managerTokens[role] = String(answer.data.token);
  }
  const session = await api.consoleSession('admin');
  ({ cookie: consoleCookie, csrf: consoleCsrf } = session);
  consoleUser = session;
  credentials = [
    { name: 'wallet token', value: walletToken },
    { name: 'operator key', value: TEST_OPERATOR_KEY },
    { name: 'admin key', value: TEST_ADMIN_KEY },
    { name: 'wallet secret', value: TEST_WALLET_SECRET },
    ...ROLES.map((role) => ({ name: `manager token ${role}`, value: managerTokens[role]! })),
    { name: 'console cookie', value: consoleCookie },
    { name: 'console password', value: consoleUser.password },
  ];
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  api.close();
  await target.stop();
});

/** Every way an HTTP request can carry a credential: a bearer header and the console cookie. */
const carrying = (value: string) => ({ Authorization: `Bearer ${value}`, Cookie: `${SESSION_COOKIE}=${value}` });
const others = (right: string) => credentials.filter((credential) => credential.name !== right);

function walletFields(path: string, token: string): Record<string, unknown> {
  if (path === '/wallet/authenticate') return { token };
  if (path === '/wallet/getbalance') return { token, currency: 'USD' };
  tradeSeq += 1;
  return { token, currency: 'USD', amount: '1', externalTradeType: 'cred', externalTradeId: `cred-${tradeSeq}` };
}
const WALLET_PATHS = ['/wallet/authenticate', '/wallet/getbalance', '/wallet/opentrade', '/wallet/closetrade'];

describe('wallet API', () => {
  it('answers InvalidDigest to every credential without a signature, or signed with it instead of the wallet secret', async () => {
    const before = await stateSnapshot(target.sql);
    for (const credential of others('wallet secret')) {
      for (const path of WALLET_PATHS) {
        const body = JSON.stringify(walletFields(path, credential.value));
        const attempts: Array<[string, Record<string, string>, string]> = [
          ['unsigned, credential in the body and headers', carrying(credential.value), body],
          [
            'v2-signed with the credential',
            signV2(
              credential.value,
              'POST',
              path,
              body,
              Math.floor(Date.now() / 1000),
              randomBytes(16).toString('hex'),
            ),
            body,
          ],
          ['legacy-signed with the credential', {}, legacyBody(credential.value, walletFields(path, credential.value))],
        ];
        for (const [how, headers, payload] of attempts) {
          const response = await api.http.request('POST', path, payload, headers);
          expect({
            credential: credential.name,
            path,
            how,
            status: response.status,
            answer: (response.body as { status: string }).status,
          }).toEqual({
            credential: credential.name,
            path,
            how,
            status: 200,
            answer: 'InvalidDigest',
          });
        }
      }
    }
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });

  it('answers InvalidToken to every other credential as the token of a correctly signed request; only the wallet token works', async () => {
    const before = await stateSnapshot(target.sql);
    for (const credential of others('wallet token')) {
      for (const path of WALLET_PATHS) {
        const answer = await api.wallet.call(
          path.slice('/wallet/'.length) as 'getbalance',
          walletFields(path, credential.value),
        );
        expect({ credential: credential.name, path, status: answer.status }).toEqual({
          credential: credential.name,
          path,
          status: 'InvalidToken',
        });
      }
    }
    // nor is the wallet token a launch token
    expect(await api.wallet.call('authenticate', { token: walletToken })).toMatchObject({ status: 'InvalidToken' });
    expect(await stateSnapshot(target.sql)).toEqual(before);
    const trade = walletFields('/wallet/opentrade', walletToken);
    expect(await api.wallet.call('getbalance', { token: walletToken, currency: 'USD' })).toMatchObject({
      status: 'Ok',
      balance: '150.00',
    });
    expect(await api.wallet.call('opentrade', trade)).toMatchObject({ status: 'Ok', balance: '149.00' });
    expect(await api.wallet.call('closetrade', trade)).toMatchObject({ status: 'Ok', balance: '150.00' });
  });
});

function legacyBody(secret: string, fields: Record<string, unknown>): string {
  const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, String(value)]));
  return JSON.stringify({ ...fields, hash: signLegacy(secret, texts) });
}

describe('operator API', () => {
  it('issues a launch token for the operator key only', async () => {
    const before = await stateSnapshot(target.sql);
    for (const credential of others('operator key')) {
      const response = await api.http.request(
        'POST',
        '/operator/launch-tokens',
        JSON.stringify({ login }),
        carrying(credential.value),
      );
      expect({ credential: credential.name, status: response.status, body: response.body }).toEqual({
        credential: credential.name,
        status: 401,
        body: { error: 'UNAUTHORIZED', message: expect.any(String) },
      });
    }
    expect(await stateSnapshot(target.sql)).toEqual(before);
    expect((await api.operator('POST', '/operator/launch-tokens', { login })).status).toBe(201);
  });
});

describe('admin API', () => {
  const csv = 'reference,amount,currency,date\nnot-in-ledger,1.00,USD,2026-01-01\n';
  /** Every admin endpoint, with the status the admin key gets. */
  const endpoints = (): Array<{ method: string; path: string; body: string | null; ok: number }> => [
    { method: 'POST', path: '/admin/accounts', body: JSON.stringify({ login: 8_000_001, currency: 'USD' }), ok: 201 },
    { method: 'GET', path: `/admin/accounts/${login}`, body: null, ok: 200 },
    { method: 'PATCH', path: `/admin/accounts/${login}`, body: JSON.stringify({ status: 'active' }), ok: 200 },
    { method: 'GET', path: `/admin/accounts/${login}/transactions`, body: null, ok: 200 },
    {
      method: 'POST',
      path: '/admin/balance',
      body: JSON.stringify({ accountId: login, operation: 'add', amount: '1' }),
      ok: 200,
    },
    {
      method: 'POST',
      path: '/admin/managers',
      body: JSON.stringify({ login: 8_000_002, password: 'long-enough-password', role: 'SESSION_ADMIN' }),
      ok: 201,
    },
    { method: 'GET', path: '/admin/reconciliation', body: null, ok: 200 },
    { method: 'GET', path: '/admin/reports/daily-totals?format=csv', body: null, ok: 200 },
    { method: 'GET', path: `/admin/accounts/${login}/statement?format=json`, body: null, ok: 200 },
    { method: 'GET', path: '/admin/ledger/export', body: null, ok: 200 },
    { method: 'POST', path: '/admin/reconciliation/match?dryRun=false', body: csv, ok: 200 },
  ];

  it('refuses every credential but the admin key on every endpoint, reconciliation included, and changes nothing', async () => {
    const runs = async () =>
      (await target.sql.query(`SELECT count(*)::int AS n FROM reconciliation_runs`)).rows[0].n as number;
    const managers = async () =>
      (await target.sql.query(`SELECT count(*)::int AS n FROM managers`)).rows[0].n as number;
    const before = [await stateSnapshot(target.sql), await runs(), await managers()];
    for (const credential of others('admin key')) {
      for (const endpoint of endpoints()) {
        const response = await api.http.request(
          endpoint.method,
          endpoint.path,
          endpoint.body,
          carrying(credential.value),
        );
        expect({
          credential: credential.name,
          endpoint: endpoint.path,
          status: response.status,
          body: response.body,
        }).toEqual({
          credential: credential.name,
          endpoint: endpoint.path,
          status: 401,
          body: { error: 'UNAUTHORIZED', message: expect.any(String) },
        });
      }
    }
    expect([await stateSnapshot(target.sql), await runs(), await managers()]).toEqual(before);

    for (const endpoint of endpoints()) {
      const response = await api.http.request(endpoint.method, endpoint.path, endpoint.body, {
        Authorization: `Bearer ${TEST_ADMIN_KEY}`,
      });
      expect({ endpoint: endpoint.path, status: response.status }).toEqual({
        endpoint: endpoint.path,
        status: endpoint.ok,
      });
    }
    // the reconciliation and the match: every run is kept in the history
    expect(await runs()).toBe((before[1] as number) + 2);
    expect(await bucketsOf(target.sql, login)).toMatchObject({ balance: '10100' });
  });
});

describe('manager TCP API', () => {
  const FINANCE: Array<[string, Record<string, unknown>, string]> = [
    ['BalanceIn', { amount: 1 }, 'ADD_BALANCE_ERROR'],
    ['BalanceInSync', { amount: 1 }, 'ADD_BALANCE_ERROR'],
    ['BalanceOut', { amount: -1 }, 'WITHDRAW_BALANCE_ERROR'],
    ['BalanceOutSync', { amount: -1 }, 'WITHDRAW_BALANCE_ERROR'],
    ['CreditIn', { amount: 1, comment: 'bonus' }, 'ADD_CREDIT_ERROR'],
    ['CreditInSync', { amount: 1, comment: 'bonus' }, 'ADD_CREDIT_ERROR'],
    ['CreditOut', { amount: -1 }, 'WITHDRAW_CREDIT_ERROR'],
    ['CreditOutSync', { amount: -1 }, 'WITHDRAW_CREDIT_ERROR'],
  ];

  it('refuses finance commands with the family error to every credential but a manager session of a money role, and to none', async () => {
    const anonymous = await ManagerClient.connect(target.service.managerPort);
    const before = await stateSnapshot(target.sql);
    const buckets = await bucketsOf(target.sql, login);
    const refused = [
      ...credentials.filter(
        (credential) => !credential.name.startsWith('manager token') || credential.name.endsWith('VIEWER'),
      ),
      { name: 'no session', value: '' },
    ];
    try {
      for (const credential of refused) {
        for (const [command, data, error] of FINANCE) {
          const answer = await anonymous.command(
            command,
            { login, ...data },
            credential.value ? { token: credential.value } : {},
          );
          expect({ credential: credential.name, command, answer }).toEqual({
            credential: credential.name,
            command,
            answer: {
              extID: expect.any(String),
              status: 401,
              data: { error, message: 'Invalid login or insufficient permissions' },
            },
          });
        }
      }
      expect(await stateSnapshot(target.sql)).toEqual(before);

      for (const role of MONEY_ROLES) {
        for (const [command, data] of FINANCE) {
          const answer = await anonymous.command(command, { login, ...data }, { token: managerTokens[role]! });
          expect({ role, command, status: answer.status }).toEqual({ role, command, status: 200 });
        }
      }
    } finally {
      await anonymous.close();
    }
    const { rows } = await target.sql.query(
      `SELECT actor, count(*)::int AS n FROM journal_entries WHERE login = $1 AND actor LIKE 'manager:%' GROUP BY actor`,
      [login],
    );
    expect(rows.map((row) => row.n)).toEqual([8, 8, 8]);
    // each role moved 1 in and 1 out of each bucket
    expect(await bucketsOf(target.sql, login)).toEqual({ ...buckets, version: String(Number(buckets.version) + 24) });
  });

  it('refuses a viewer logged in on the connection itself, and reads only with a manager session of any role', async () => {
    const viewer = await ManagerClient.connect(target.service.managerPort);
    const anonymous = await ManagerClient.connect(target.service.managerPort);
    try {
      const viewerLogin = api.takeLogin() + 500_000;
      expect(
        (
          await api.admin('POST', '/admin/managers', {
            login: viewerLogin,
            password: MANAGER_PASSWORD,
            role: 'SESSION_VIEWER',
          })
        ).status,
      ).toBe(201);
      expect(await viewer.login(viewerLogin, MANAGER_PASSWORD)).toMatchObject({ status: 200 });
      const before = await stateSnapshot(target.sql);
      for (const [command, data, error] of FINANCE) {
        expect(await viewer.command(command, { login, ...data })).toMatchObject({ status: 401, data: { error } });
      }
      expect(await stateSnapshot(target.sql)).toEqual(before);

      const reads: Array<[string, Record<string, unknown>]> = [
        ['GetTransactionsByLogin', { login }],
        ['GetFinanceRecord', { order: 1 }],
        ['Subscribe', { channels: ['trade:event'] }],
      ];
      for (const credential of [...credentials, { name: 'no session', value: '' }]) {
        for (const [command, data] of reads) {
          const answer = await anonymous.command(command, data, credential.value ? { token: credential.value } : {});
          const expected = credential.name.startsWith('manager token')
            ? command === 'GetFinanceRecord'
              ? 404
              : 200
            : 401;
          expect({ credential: credential.name, command, status: answer.status }).toEqual({
            credential: credential.name,
            command,
            status: expected,
          });
        }
      }
    } finally {
      await Promise.all([viewer.close(), anonymous.close()]);
    }
  });
});

describe('web console', () => {
  const pages = (): Array<[string, string, string | null]> => [
    ['GET', '/console/accounts', null],
    ['GET', `/console/accounts?search=${login}`, null],
    ['GET', '/console/dashboard', null],
    ['GET', `/console/accounts/${login}/ledger.csv`, null],
    ['GET', '/console/runs', null],
    ['GET', `/console/accounts/${login}`, null],
    ['GET', `/console/accounts/${login}/statement?format=csv`, null],
    ['GET', '/console/reconciliation', null],
    ['GET', '/console/match', null],
    ['POST', '/console/match/run?dryRun=false', 'reference,amount,currency,date\n'],
  ];

  it('opens no page to any credential but the session cookie, whether sent as the cookie or as a bearer', async () => {
    const runs = async () =>
      (await target.sql.query(`SELECT count(*)::int AS n FROM reconciliation_runs`)).rows[0].n as number;
    const before = await runs();
    for (const credential of others('console cookie')) {
      for (const [method, path, body] of pages()) {
        const response = await api.http.request(method, path, body, carrying(credential.value));
        expect({
          credential: credential.name,
          path,
          status: response.status,
          location: response.headers.location,
        }).toEqual({
          credential: credential.name,
          path,
          status: 303,
          location: '/console/login',
        });
        expect(response.text).not.toContain(String(login));
      }
    }
    expect(await runs()).toBe(before);
    for (const [method, path, body] of pages()) {
      const response = await api.http.request(method, path, body, {
        Cookie: `${SESSION_COOKIE}=${consoleCookie}`,
        'X-CSRF-Token': consoleCsrf,
      });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
    expect(await runs()).toBe(before + 1);
  });

  it("signs in with the user's own password only", async () => {
    const signIn = (password: string) =>
      api.http.request(
        'POST',
        '/console/login',
        `username=${consoleUser.username}&password=${encodeURIComponent(password)}`,
        FORM,
      );
    for (const credential of others('console password')) {
      const response = await signIn(credential.value);
      expect({
        credential: credential.name,
        status: response.status,
        cookies: response.headers['set-cookie'] ?? [],
      }).toEqual({
        credential: credential.name,
        status: 401,
        cookies: [],
      });
    }
    const response = await signIn(consoleUser.password);
    expect(response.status).toBe(303);
    expect(response.headers['set-cookie']).toHaveLength(1);
  });
});
