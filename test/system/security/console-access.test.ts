import { TestApi } from '../../support/api';
import { startTestService, TEST_ADMIN_KEY, type TestService } from '../../support/test-service';
import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { THROTTLE_LIMITS } from '../../../src/core/access/failure-throttle';

/**
 * The console's users, sessions and throttles against real instances sharing one database: roles
 * allow what they should and nothing more; sessions live in PostgreSQL (two instances share them, a
 * restart keeps them, logout and an admin end them everywhere, idle and absolute timeouts end
 * them); every POST needs the session's CSRF token; logins and bearer keys are throttled with 429
 * and Retry-After; what users do is in the audit log.
 */

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

let first: TestService;
let second: TestService;
let api: TestApi;
let other: TestApi;

beforeAll(async () => {
  first = await startTestService();
  second = await startTestService({}, first.databaseUrl);
  api = new TestApi(first);
  other = new TestApi(second);
});
afterAll(async () => {
  api.close();
  other.close();
  await second.stop();
  await first.stop();
});

const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({
  Cookie: `${SESSION_COOKIE}=${cookie}`,
  ...headers,
});
const get = (on: TestApi, path: string, cookie: string) => on.http.request('GET', path, null, withCookie(cookie));
const post = (on: TestApi, path: string, cookie: string, body: string, headers: Record<string, string> = FORM) =>
  on.http.request('POST', path, body, withCookie(cookie, headers));
const signedOut = (response: { status: number; headers: Record<string, unknown> }) =>
  response.status === 303 && response.headers.location === '/console/login';

describe('roles', () => {
  it('let each role see and do what it allows, and refuse the rest with 403', async () => {
    const expected: Record<string, Record<string, number>> = {
      viewer: {
        '/console/dashboard': 200,
        '/console/accounts': 200,
        '/console/runs': 403,
        '/console/reconciliation': 403,
        '/console/match': 403,
        '/console/audit': 403,
        '/console/users': 403,
      },
      finance: {
        '/console/dashboard': 200,
        '/console/accounts': 200,
        '/console/runs': 200,
        '/console/reconciliation': 200,
        '/console/match': 200,
        '/console/audit': 200,
        '/console/users': 403,
      },
      admin: {
        '/console/dashboard': 200,
        '/console/accounts': 200,
        '/console/runs': 200,
        '/console/reconciliation': 200,
        '/console/match': 200,
        '/console/audit': 200,
        '/console/users': 200,
      },
    };
    const login = await api.createAccount();
    await api.deposit(login, '10.00');
    for (const role of ['viewer', 'finance', 'admin'] as const) {
      const { cookie, csrf } = await api.consoleSession(role);
      const seen: Record<string, number> = {};
      for (const path of Object.keys(expected[role]!)) seen[path] = (await get(api, path, cookie)).status;
      expect({ role, seen }).toEqual({ role, seen: expected[role] });
      const statement = await get(api, `/console/accounts/${login}/statement?format=csv`, cookie);
      expect({ role, status: statement.status }).toEqual({ role, status: role === 'viewer' ? 403 : 200 });
      const created = await post(
        api,
        '/console/users',
        cookie,
        `_csrf=${csrf}&username=made-by-${role}&password=${encodeURIComponent('long enough password')}&role=viewer`,
      );
      expect({ role, status: created.status }).toEqual({ role, status: role === 'admin' ? 303 : 403 });
    }
    const users = (await api.admin('GET', '/admin/users')).body as {
      items: Array<{ username: string; createdBy: string }>;
    };
    expect(users.items.filter((user) => user.username.startsWith('made-by-'))).toEqual([
      expect.objectContaining({ username: 'made-by-admin', createdBy: 'user:admin-3' }),
    ]);
  });
});

describe('sessions', () => {
  it('are shared by every instance, and a logout on one ends the session on all', async () => {
    const { cookie, csrf } = await api.consoleSession('viewer');
    expect((await get(other, '/console/accounts', cookie)).status).toBe(200);
    const loggedOut = await post(other, '/console/logout', cookie, `_csrf=${csrf}`);
    expect(loggedOut.status).toBe(303);
    expect(signedOut(await get(api, '/console/accounts', cookie))).toBe(true);
    expect(signedOut(await get(other, '/console/accounts', cookie))).toBe(true);
  });

  it('survive a restart of the service', async () => {
    const { cookie } = await api.consoleSession('viewer');
    const restarted = await startTestService({}, first.databaseUrl);
    const fresh = new TestApi(restarted);
    try {
      expect((await get(fresh, '/console/accounts', cookie)).status).toBe(200);
    } finally {
      fresh.close();
      await restarted.stop();
    }
  });

  it('end when idle too long, when too old, when an admin ends them, and when the user is disabled', async () => {
    const idle = await api.consoleSession('viewer');
    await first.sql.query(
      `UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = (SELECT id FROM console_users WHERE username = $1)`,
      [idle.username],
    );
    expect(signedOut(await get(api, '/console/accounts', idle.cookie))).toBe(true);

    const old = await api.consoleSession('viewer');
    await first.sql.query(
      `UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM console_users WHERE username = $1)`,
      [old.username],
    );
    expect(signedOut(await get(api, '/console/accounts', old.cookie))).toBe(true);

    const ended = await api.consoleSession('viewer');
    expect((await api.admin('DELETE', `/admin/users/${ended.username}/sessions`)).body).toEqual({ ended: 1 });
    expect(signedOut(await get(other, '/console/accounts', ended.cookie))).toBe(true);

    const disabled = await api.consoleSession('viewer');
    expect((await api.admin('PATCH', `/admin/users/${disabled.username}`, { disabled: true })).status).toBe(200);
    expect(signedOut(await get(other, '/console/accounts', disabled.cookie))).toBe(true);
    const again = await api.http.request(
      'POST',
      '/console/login',
      `username=${disabled.username}&password=${encodeURIComponent(disabled.password)}`,
      FORM,
    );
    expect(again.status).toBe(401);
  });

  it('are refused every POST without the session CSRF token, which changes nothing', async () => {
    const { cookie, csrf } = await api.consoleSession('admin');
    const body = (token: string) =>
      `${token}username=not-made&password=${encodeURIComponent('long enough password')}&role=viewer`;
    for (const token of [
      '',
      '_csrf=&',
      `_csrf=${csrf.slice(0, -1)}x&`,
      `_csrf=${(await api.consoleSession('admin')).csrf}&`,
    ]) {
      expect((await post(api, '/console/users', cookie, body(token))).status).toBe(403);
    }
    expect((await post(api, '/console/logout', cookie, '')).status).toBe(403);
    expect(
      (await post(api, '/console/match/run', cookie, 'reference,amount\n', { 'Content-Type': 'text/csv' })).status,
    ).toBe(403);
    expect((await api.admin('GET', '/admin/users')).text).not.toContain('not-made');
    expect((await get(api, '/console/accounts', cookie)).status).toBe(200); // still signed in
    expect((await post(api, '/console/users', cookie, body(`_csrf=${csrf}&`))).status).toBe(303);
  });

  it('are refused a user action (role, disable, enable, end-sessions) without the CSRF token, which changes nothing', async () => {
    const { cookie, csrf } = await api.consoleSession('admin');
    const target = await api.consoleSession('viewer');
    const disabled = await api.consoleSession('viewer');
    expect((await post(api, `/console/users/${disabled.username}/disable`, cookie, `_csrf=${csrf}`)).status).toBe(303);
    const userRow = async (username: string) =>
      (
        await first.sql.query(
          'SELECT role, disabled_at IS NOT NULL AS disabled FROM console_users WHERE username = $1',
          [username],
        )
      ).rows[0];
    const sessionsOf = async (username: string) =>
      (
        await first.sql.query(
          'SELECT count(*)::int AS n FROM console_sessions s JOIN console_users u ON u.id = s.user_id WHERE u.username = $1 AND s.revoked_at IS NULL',
          [username],
        )
      ).rows[0].n;
    const before = {
      target: await userRow(target.username),
      disabled: await userRow(disabled.username),
      sessions: await sessionsOf(target.username),
    };
    expect(before).toMatchObject({
      target: { role: 'viewer', disabled: false },
      disabled: { disabled: true },
      sessions: 1,
    });
    const actions: Array<[string, string]> = [
      [target.username, 'role'],
      [target.username, 'disable'],
      [disabled.username, 'enable'],
      [target.username, 'end-sessions'],
    ];
    for (const [username, action] of actions) {
      for (const token of ['', '_csrf=&', `_csrf=${csrf.slice(0, -1)}x&`, `_csrf=${target.csrf}&`]) {
        expect((await post(other, `/console/users/${username}/${action}`, cookie, `${token}role=admin`)).status).toBe(
          403,
        );
      }
    }
    expect({
      target: await userRow(target.username),
      disabled: await userRow(disabled.username),
      sessions: await sessionsOf(target.username),
    }).toEqual(before);
    expect((await get(api, '/console/accounts', target.cookie)).status).toBe(200); // the target's session was not ended
    // with the token, the same action does change it
    expect(
      (await post(other, `/console/users/${target.username}/role`, cookie, `_csrf=${csrf}&role=finance`)).status,
    ).toBe(303);
    expect(await userRow(target.username)).toMatchObject({ role: 'finance' });
  });

  it('set Secure on the cookie behind a TLS proxy named by TRUST_PROXY, and only there', async () => {
    const proxied = await startTestService({ TRUST_PROXY: 'loopback' }, first.databaseUrl);
    const behindProxy = new TestApi(proxied);
    try {
      const { username, password } = await api.consoleSession('viewer');
      const signIn = (on: TestApi) =>
        on.http.request('POST', '/console/login', `username=${username}&password=${encodeURIComponent(password)}`, {
          ...FORM,
          'X-Forwarded-Proto': 'https',
        });
      expect(String((await signIn(behindProxy)).headers['set-cookie'])).toMatch(/; Secure$/);
      expect(String((await signIn(api)).headers['set-cookie'])).not.toMatch(/Secure/);
    } finally {
      behindProxy.close();
      await proxied.stop();
    }
  });
});

describe('the audit log', () => {
  it('records who signed in, created users, ran a reconciliation and downloaded a statement', async () => {
    const { username, cookie } = await api.consoleSession('finance');
    const login = await api.createAccount();
    expect((await get(api, '/console/reconciliation?run=1', cookie)).status).toBe(200);
    expect((await get(api, `/console/accounts/${login}/statement?format=csv`, cookie)).status).toBe(200);
    const { items } = (await api.admin('GET', '/admin/audit?limit=50')).body as {
      items: Array<{ actor: string; action: string; target: string | null }>;
    };
    const mine = items
      .filter((item) => item.actor === `user:${username}` || item.target === username)
      .map((item) => [item.actor, item.action, item.target]);
    expect(mine.reverse()).toEqual([
      ['admin-api', 'user.create', username],
      [`user:${username}`, 'login', null],
      [`user:${username}`, 'reconciliation.run', null],
      [`user:${username}`, 'statement.download', String(login)],
    ]);
    const page = await get(api, '/console/audit', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('statement.download');
  });
});

describe('audit paging', () => {
  it('says there is a next page only when there is one (no empty last page)', async () => {
    const total = (await first.sql.query(`SELECT count(*)::int AS total FROM audit_log`)).rows[0].total as number;
    expect(total).toBeGreaterThan(1);
    const whole = await api.admin('GET', `/admin/audit?limit=${total}`);
    expect(whole.body).toMatchObject({ nextBefore: null });
    expect((whole.body as { items: unknown[] }).items).toHaveLength(total);
    const firstPage = (await api.admin('GET', `/admin/audit?limit=${total - 1}`)).body as {
      items: unknown[];
      nextBefore: string;
    };
    expect(firstPage.items).toHaveLength(total - 1);
    const lastPage = (await api.admin('GET', `/admin/audit?limit=${total - 1}&before=${firstPage.nextBefore}`))
      .body as { items: unknown[]; nextBefore: string | null };
    expect(lastPage).toMatchObject({ nextBefore: null });
    expect(lastPage.items).toHaveLength(1);
  });
});

describe('the last enabled admin', () => {
  const enabledAdmins = async () =>
    (
      await first.sql.query(
        `SELECT username FROM console_users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY username`,
      )
    ).rows.map((row) => row.username as string);
  const createAdmin = async (username: string) =>
    expect(
      (await api.admin('POST', '/admin/users', { username, password: 'last-admin-password-0123', role: 'admin' }))
        .status,
    ).toBe(201);

  it('can be neither disabled nor demoted, even by two admins demoting each other at once', async () => {
    await createAdmin('keeper-a');
    await first.sql.query(
      `UPDATE console_users SET disabled_at = now() WHERE role = 'admin' AND username <> 'keeper-a'`,
    );
    expect(await enabledAdmins()).toEqual(['keeper-a']);
    expect(await api.admin('PATCH', '/admin/users/keeper-a', { disabled: true })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('last enabled admin') },
    });
    expect((await api.admin('PATCH', '/admin/users/keeper-a', { role: 'viewer' })).status).toBe(400);
    expect(await enabledAdmins()).toEqual(['keeper-a']);

    await createAdmin('keeper-b');
    const answers = await Promise.all(
      ['keeper-a', 'keeper-b'].map((username) => api.admin('PATCH', `/admin/users/${username}`, { role: 'finance' })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect(await enabledAdmins()).toHaveLength(1);
  });
});

describe('throttling', () => {
  it('refuses sign-ins of a username after too many failures, with the time to wait, even with the right password', async () => {
    const { username, password } = await api.consoleSession('viewer');
    const signIn = (secret: string) =>
      other.http.request('POST', '/console/login', `username=${username}&password=${encodeURIComponent(secret)}`, FORM);
    for (let attempt = 1; attempt <= THROTTLE_LIMITS['console-user'].failuresMax; attempt += 1)
      expect((await signIn('wrong password, long enough')).status).toBe(401);
    const throttled = await signIn(password);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.headers['set-cookie']).toBeUndefined();
    expect(throttled.text).toMatch(/Too many failed sign-ins/);
  });

  // last: the address stays throttled for the bearer keys for a minute
  it('refuses the 11th wrong bearer key in a minute, then the right one too, with 429 and Retry-After', async () => {
    const { failuresMax } = THROTTLE_LIMITS['bearer-address'];
    for (let attempt = 1; attempt <= failuresMax; attempt += 1) {
      expect((await api.admin('GET', '/admin/users', undefined, `wrong-key-${attempt}`)).status).toBe(401);
    }
    const eleventh = await api.admin('GET', '/admin/users', undefined, 'wrong-key-11');
    expect(eleventh.status).toBe(429);
    expect(eleventh.body).toMatchObject({ error: 'TOO_MANY_REQUESTS' });
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
    expect((await api.admin('GET', '/admin/users', undefined, TEST_ADMIN_KEY)).status).toBe(429);
    // the other instance counts the same failures in the database
    expect((await other.admin('GET', '/admin/users', undefined, 'wrong-key-12')).status).toBe(429);
  });
});
