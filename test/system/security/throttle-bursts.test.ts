import { TestApi } from '../../support/api';
import { startTestService, TEST_ADMIN_KEY, TEST_OPERATOR_KEY, type TestService } from '../../support/test-service';
import { THROTTLE_LIMITS } from '../../../src/core/access/failure-throttle';

/**
 * The console sign-in throttle and the bearer-key lockout under guesses sent all at once, split
 * over two instances on one database: no more guesses are evaluated than the limits allow (5 per
 * username, 20 per address, 10 wrong keys per address), the right credential in the burst or after
 * it is refused too, and a bearer lockout holds on both APIs and both instances.
 *
 * Both instances trust a loopback proxy, so that each test speaks from its own client address
 * (X-Forwarded-For) and one test's lockout does not touch another's.
 */

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
/** Guesses sent at once in each burst: far more than any limit. */
const GUESSES_AT_ONCE = 60;

let first: TestService;
let second: TestService;
let apis: [TestApi, TestApi];

beforeAll(async () => {
  first = await startTestService({ TRUST_PROXY: 'loopback' });
  second = await startTestService({ TRUST_PROXY: 'loopback' }, first.databaseUrl);
  apis = [new TestApi(first), new TestApi(second)];
});
afterAll(async () => {
  apis.forEach((api) => api.close());
  await second.stop();
  await first.stop();
});

const from = (address: string, headers: Record<string, string> = {}) => ({ 'X-Forwarded-For': address, ...headers });
const signIn = (api: TestApi, address: string, username: string, password: string) =>
  api.http.request(
    'POST',
    '/console/login',
    `username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`,
    from(address, FORM),
  );
const bearer = (api: TestApi, address: string, path: string, key: string, method = 'GET', body: unknown = null) =>
  api.http.request(
    method,
    path,
    body === null ? null : JSON.stringify(body),
    from(address, { Authorization: `Bearer ${key}` }),
  );
const statusesOf = (responses: Array<{ status: number }>) => responses.map((response) => response.status);
const countOf = (statuses: number[], status: number) => statuses.filter((each) => each === status).length;

async function createConsoleUser(): Promise<{ username: string; password: string }> {
  const username = `burst-${apis[0].takeLogin()}`;
  const password = 'the right password, long enough';
  const created = await apis[0].admin('POST', '/admin/users', { username, password, role: 'viewer' });
  expect(created.status).toBe(201);
  return { username, password };
}

async function countedFailures(scope: string, subject: string): Promise<number> {
  const { rows } = await first.sql.query(
    'SELECT count(*)::int AS n FROM auth_failures WHERE scope = $1 AND subject = $2',
    [scope, subject],
  );
  return rows[0].n;
}

async function sessionsOf(username: string): Promise<number> {
  const { rows } = await first.sql.query(
    'SELECT count(*)::int AS n FROM console_sessions s JOIN console_users u ON u.id = s.user_id WHERE u.username = $1',
    [username],
  );
  return rows[0].n;
}

describe('console sign-in', () => {
  it('evaluates at most five of 60 wrong passwords for one username sent at once to two instances, and refuses the right one sent with them', async () => {
    const { username, password } = await createConsoleUser();
    const address = '203.0.113.1';
    const burst = await Promise.all(
      Array.from({ length: GUESSES_AT_ONCE + 1 }, (_, guess) =>
        guess === GUESSES_AT_ONCE / 2
          ? signIn(apis[guess % 2]!, address, username, password)
          : signIn(apis[guess % 2]!, address, username, `wrong guess ${guess}`),
      ),
    );
    const statuses = statusesOf(burst);
    // the right password is evaluated only if its turn came before the limit: then it signed in
    const signedIn = countOf(statuses, 303);
    expect(signedIn).toBeLessThanOrEqual(1);
    expect(countOf(statuses, 401) + countOf(statuses, 429) + signedIn).toBe(statuses.length);
    expect(countOf(statuses, 401)).toBeLessThanOrEqual(THROTTLE_LIMITS['console-user'].failuresMax);
    expect(await countedFailures('console-user', username)).toBe(countOf(statuses, 401));
    // once the burst is over, the username is at its limit or is after more guesses one by one
    for (let guess = countOf(statuses, 401); guess < THROTTLE_LIMITS['console-user'].failuresMax; guess += 1) {
      expect((await signIn(apis[guess % 2]!, address, username, `late guess ${guess}`)).status).toBe(401);
    }
    for (const api of apis) {
      const refused = await signIn(api, '203.0.113.2', username, password);
      expect(refused.status).toBe(429);
      expect(refused.headers['set-cookie']).toBeUndefined();
    }
    expect(await countedFailures('console-user', username)).toBe(THROTTLE_LIMITS['console-user'].failuresMax);
    expect(await sessionsOf(username)).toBe(signedIn);
  });

  it('locks out an address after 20 failures over many usernames, even for the right password of a user who never failed', async () => {
    const address = '203.0.113.10';
    const { failuresMax } = THROTTLE_LIMITS['console-address'];
    const untouched = await createConsoleUser();
    // 60 guesses at once over 15 usernames (4 each, under the username limit)
    const burst = await Promise.all(
      Array.from({ length: GUESSES_AT_ONCE }, (_, guess) =>
        signIn(apis[guess % 2]!, address, `nobody-${guess % 15}`, `wrong guess ${guess}`),
      ),
    );
    const statuses = statusesOf(burst);
    expect(countOf(statuses, 401)).toBe(failuresMax);
    expect(countOf(statuses, 429)).toBe(GUESSES_AT_ONCE - failuresMax);
    expect(await countedFailures('console-address', address)).toBe(failuresMax);
    for (const api of apis)
      expect((await signIn(api, address, untouched.username, untouched.password)).status).toBe(429);
    expect(await countedFailures('console-user', untouched.username)).toBe(0);
    expect(await sessionsOf(untouched.username)).toBe(0);
    // another address signs the same user in at once
    expect((await signIn(apis[1], '203.0.113.11', untouched.username, untouched.password)).status).toBe(303);
    expect(await sessionsOf(untouched.username)).toBe(1);
  });

  it('takes back the attempt of a right password: sign-ins that succeed never lock a user out', async () => {
    const user = await createConsoleUser();
    const address = '203.0.113.20';
    for (let round = 0; round < THROTTLE_LIMITS['console-user'].failuresMax * 2; round += 1) {
      expect((await signIn(apis[round % 2]!, address, user.username, user.password)).status).toBe(303);
    }
    expect(await countedFailures('console-user', user.username)).toBe(0);
    expect(await countedFailures('console-address', address)).toBe(0);
  });
});

describe('bearer keys', () => {
  it('answer at most ten of 60 wrong admin keys sent at once to two instances with 401, the rest 429', async () => {
    const address = '203.0.113.30';
    const burst = await Promise.all(
      Array.from({ length: GUESSES_AT_ONCE }, (_, guess) =>
        bearer(apis[guess % 2]!, address, '/admin/users', `wrong-key-${guess}`),
      ),
    );
    const statuses = statusesOf(burst);
    expect(countOf(statuses, 401)).toBe(THROTTLE_LIMITS['bearer-address'].failuresMax);
    expect(countOf(statuses, 429)).toBe(GUESSES_AT_ONCE - THROTTLE_LIMITS['bearer-address'].failuresMax);
    expect(await countedFailures('bearer-address', address)).toBe(THROTTLE_LIMITS['bearer-address'].failuresMax);
  });

  it('lock an address out of both APIs on both instances after 11 wrong admin keys on one, the right keys included', async () => {
    const address = '203.0.113.40';
    const login = await apis[0].createAccount();
    for (let guess = 1; guess <= THROTTLE_LIMITS['bearer-address'].failuresMax; guess += 1) {
      expect((await bearer(apis[0], address, '/admin/users', `wrong-key-${guess}`)).status).toBe(401);
    }
    expect((await bearer(apis[0], address, '/admin/users', 'wrong-key-11')).status).toBe(429);
    for (const api of apis) {
      const admin = await bearer(api, address, '/admin/users', TEST_ADMIN_KEY);
      expect(admin.status).toBe(429);
      expect(Number(admin.headers['retry-after'])).toBeGreaterThan(0);
      expect((await bearer(api, address, '/operator/launch-tokens', TEST_OPERATOR_KEY, 'POST', { login })).status).toBe(
        429,
      );
      // no key at all is refused the same way
      expect((await api.http.request('GET', '/admin/users', null, from(address))).status).toBe(429);
    }
    // another address is not touched
    expect(
      (await bearer(apis[1], '203.0.113.41', '/operator/launch-tokens', TEST_OPERATOR_KEY, 'POST', { login })).status,
    ).toBe(201);
  });

  it('lock an address out of the admin API after wrong operator keys on the other instance', async () => {
    const address = '203.0.113.50';
    for (let guess = 1; guess <= THROTTLE_LIMITS['bearer-address'].failuresMax + 1; guess += 1) {
      await bearer(apis[1], address, '/operator/launch-tokens', `wrong-key-${guess}`, 'POST', { login: 1 });
    }
    for (const api of apis) expect((await bearer(api, address, '/admin/users', TEST_ADMIN_KEY)).status).toBe(429);
  });
});
