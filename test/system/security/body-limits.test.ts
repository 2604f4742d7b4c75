import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { TestApi, useTestService } from '../../support/api';
import { rawAdmin, stateSnapshot } from '../../support/probes';
import { TEST_ADMIN_KEY, type TestService } from '../../support/test-service';

/**
 * Request bodies over the limits on the endpoints the other suites leave out: the 16 KiB of the
 * wallet, operator, POST /admin/accounts and /admin/balance bodies and the 4 KiB console login form
 * are checked in test/http/bad-input.test.ts and test/console/console.test.ts, the 64 KiB manager
 * message in test/manager/manager-api.test.ts.
 */

const API_BODY_LIMIT = 16 * 1024;
/** The largest reconciliation upload (MATCH_UPLOAD_BYTES_MAX in src/transports/admin-api/match-request.ts). */
const MATCH_UPLOAD_BYTES_MAX = 20 * 1024 * 1024;
let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

it('refuses PATCH /admin/accounts/:login and POST /admin/managers bodies over 16 KiB with 413 and changes nothing', async () => {
  const login = await api.createAccount();
  const pad = JSON.stringify('p'.repeat(API_BODY_LIMIT));
  const managers = async () => (await target.sql.query(`SELECT count(*)::int AS n FROM managers`)).rows[0].n as number;
  const before = [await stateSnapshot(target.sql), await managers()];
  for (const [method, path, body] of [
    ['PATCH', `/admin/accounts/${login}`, `{"status":"disabled","pad":${pad}}`],
    ['POST', '/admin/managers', `{"login":9001,"password":"long-enough-password","role":"SESSION_ADMIN","pad":${pad}}`],
  ] as const) {
    const response = await rawAdmin(api, method, path, body);
    expect({ path, status: response.status, body: response.body }).toEqual({
      path,
      status: 413,
      body: { error: 'INVALID_REQUEST', message: expect.any(String) },
    });
  }
  expect([await stateSnapshot(target.sql), await managers()]).toEqual(before);
});

it('refuses a reconciliation upload over its limit on the admin API and the console, and saves no run', async () => {
  const runs = async () =>
    (await target.sql.query(`SELECT count(*)::int AS n FROM reconciliation_runs`)).rows[0].n as number;
  const before = await runs();
  const row = 'ref-0000000001,1.00,USD,2026-01-01\n';
  const csv = `reference,amount,currency,date\n${row.repeat(Math.ceil(MATCH_UPLOAD_BYTES_MAX / row.length) + 1)}`;
  expect(Buffer.byteLength(csv)).toBeGreaterThan(MATCH_UPLOAD_BYTES_MAX);
  const admin = await api.http.request('POST', '/admin/reconciliation/match?dryRun=false', csv, {
    Authorization: `Bearer ${TEST_ADMIN_KEY}`,
    'Content-Type': 'text/csv',
  });
  expect({ status: admin.status, body: admin.body }).toEqual({
    status: 413,
    body: { error: 'INVALID_REQUEST', message: expect.any(String) },
  });

  const { cookie, csrf } = await api.consoleSession('finance');
  const console = await api.http.request('POST', '/console/match/run?dryRun=false', csv, {
    Cookie: `${SESSION_COOKIE}=${cookie}`,
    'Content-Type': 'text/csv',
    'X-CSRF-Token': csrf,
  });
  expect({ status: console.status, body: console.body }).toEqual({
    status: 413,
    body: { error: 'INVALID_REQUEST', message: expect.any(String) },
  });
  expect(await runs()).toBe(before);
});
