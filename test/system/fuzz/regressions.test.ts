import { gzipSync } from 'node:zlib';
import { TestApi, useTestService } from '../../support/api';
import type { HttpJsonResponse } from '@wallet-service/client';
import { stateSnapshot } from '../../support/probes';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, type TestService } from '../../support/test-service';

/**
 * Bugs the property-based fuzz suite (test/fuzz/*.test.ts) found, each pinned by a plain test
 * named after what it catches.
 */

let target: TestService;
let api: TestApi;
let login: number;

useTestService((started) => ({ target, api } = started));
beforeAll(async () => {
  login = await api.createAccount();
  await api.deposit(login, '100');
  await api.balanceOperation(login, 'add', '5', 'regression-ref-1');
});

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
/** The gzip header followed by bytes that are not deflate data. */
const CORRUPT_GZIP = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xfc, 0xf9, 0x86, 0xa9]);

async function expectRefusedUnchanged(
  request: () => Promise<HttpJsonResponse>,
  expected: { status: number; body?: unknown },
): Promise<void> {
  const before = await stateSnapshot(target.sql);
  const response = await request();
  expect({ status: response.status, body: response.body }).toEqual({
    status: expected.status,
    body: expected.body ?? expect.anything(),
  });
  expect(await stateSnapshot(target.sql)).toEqual(before);
}

describe('bodies that do not decompress', () => {
  it.each([
    ['gzip', CORRUPT_GZIP],
    ['deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00])],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['gzip', gzipSync('{"accountId":1,"operation":"add","amount":"1"}').subarray(0, 20)],
  ])(
    'answers 400 INVALID_REQUEST, not 500, for a %s body that does not decompress (admin, operator)',
    async (encoding, body) => {
      const headers = { 'Content-Type': 'application/json', 'Content-Encoding': encoding };
      const invalid = { error: 'INVALID_REQUEST', message: expect.any(String) };
      await expectRefusedUnchanged(() => api.http.request('POST', '/admin/balance', body, { ...headers, ...ADMIN }), {
        status: 400,
        body: invalid,
      });
      await expectRefusedUnchanged(
        () => api.http.request('POST', '/admin/reconciliation/match', body, { ...headers, ...ADMIN }),
        { status: 400, body: invalid },
      );
      await expectRefusedUnchanged(
        () =>
          api.http.request('POST', '/operator/launch-tokens', body, {
            ...headers,
            Authorization: `Bearer ${TEST_OPERATOR_KEY}`,
          }),
        { status: 400, body: invalid },
      );
    },
  );

  it('answers InvalidRequest, not 500, for a wallet body that does not decompress', async () => {
    for (const path of ['/wallet/getbalance', '/wallet/opentrade']) {
      await expectRefusedUnchanged(() => api.http.request('POST', path, CORRUPT_GZIP, { 'Content-Encoding': 'gzip' }), {
        status: 200,
        body: { status: 'InvalidRequest', message: expect.any(String) },
      });
    }
  });

  it('answers 400, not 500, for a console login form that does not decompress', async () => {
    const response = await api.http.request('POST', '/console/login', CORRUPT_GZIP, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(400);
  });

  it('still reads a well-formed gzip body', async () => {
    const body = gzipSync(JSON.stringify({ accountId: login, operation: 'add', amount: '1' }));
    const response = await api.http.request('POST', '/admin/balance', body, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      ...ADMIN,
    });
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: true });
  });
});

describe('paths that are not valid percent-encoding', () => {
  it.each([['%zz'], ['%'], ['%E0%A4%A'], ['1%']])(
    'answers 400 INVALID_REQUEST, not 500, for the login %j in an admin path',
    async (segment) => {
      const invalid = { status: 400, body: { error: 'INVALID_REQUEST', message: expect.any(String) } };
      await expectRefusedUnchanged(() => api.http.request('GET', `/admin/accounts/${segment}`, null, ADMIN), invalid);
      await expectRefusedUnchanged(
        () => api.http.request('GET', `/admin/accounts/${segment}/transactions`, null, ADMIN),
        invalid,
      );
      await expectRefusedUnchanged(
        () => api.http.request('GET', `/admin/accounts/${segment}/statement`, null, ADMIN),
        invalid,
      );
      await expectRefusedUnchanged(
        () => api.http.request('PATCH', `/admin/accounts/${segment}`, '{"status":"disabled"}', ADMIN),
        invalid,
      );
    },
  );

  it('answers 400, not 500, for such a login in a console path', async () => {
    const cookie = `wallet_console_session=${(await api.consoleSession('viewer')).cookie}`;
    expect((await api.http.request('GET', `/console/accounts/${login}`, null, { Cookie: cookie })).status).toBe(200);
    expect((await api.http.request('GET', '/console/accounts/%zz', null, { Cookie: cookie })).status).toBe(400);
    expect(
      (await api.http.request('GET', '/console/accounts/%E0%A4%A/statement', null, { Cookie: cookie })).status,
    ).toBe(400);
  });
});

describe('matching files with dates at the ends of time', () => {
  it.each([['-271821-04-20'], ['+275760-09-13'], ['-004713-11-24'], ['-271821-04-20T00:00:00Z']])(
    'refuses a row dated %s as an unreadable row, not with a 500',
    async (date) => {
      const csv = `reference,amount,currency,date\nregression-ref-1,5,USD,2026-11-01\nfar,1,USD,${date}\n`;
      const before = await stateSnapshot(target.sql);
      const response = await api.http.request('POST', '/admin/reconciliation/match', csv, {
        'Content-Type': 'text/csv',
        ...ADMIN,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        fileRows: 2,
        invalidRows: { count: 1, items: [expect.stringContaining('line 3')] },
        counts: { matched: 1 },
      });
      expect(await stateSnapshot(target.sql)).toEqual(before);
    },
  );

  it('refuses a file whose only row is dated beyond year 9999 with 400, not 500', async () => {
    const response = await api.http.request(
      'POST',
      '/admin/reconciliation/match',
      'reference,amount,currency,date\nx,1,USD,+275760-09-13\n',
      { 'Content-Type': 'text/csv', ...ADMIN },
    );
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: { error: 'INVALID_REQUEST', message: expect.stringContaining('date') },
    });
  });
});
