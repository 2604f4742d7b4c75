import { TestApi, useTestService } from '../../support/api';
import { stateSnapshot } from '../../support/probes';
import { TEST_WALLET_SECRET, type TestService } from '../../support/test-service';

let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

const FIVE_MINUTES_MS = 5 * 60 * 1000;

function launch(login: unknown, key?: string) {
  return api.operator('POST', '/operator/launch-tokens', { login }, key);
}

describe('POST /operator/launch-tokens', () => {
  it('answers 201 with a token and an expiry 5 minutes ahead', async () => {
    const login = await api.createAccount();
    const sentAt = Date.now();
    const response = await launch(login);
    const answeredAt = Date.now();
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    const { token, expiresAt } = response.body as { token: string; expiresAt: string };
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // the database clock sets the expiry; allow for clock differences between it and this process
    const expires = Date.parse(expiresAt);
    expect(expires).toBeGreaterThanOrEqual(sentAt + FIVE_MINUTES_MS - 5_000);
    expect(expires).toBeLessThanOrEqual(answeredAt + FIVE_MINUTES_MS + 5_000);
    const { rows } = await target.sql.query(
      `SELECT login::int, extract(epoch FROM expires_at - created_at)::int AS ttl_s, used_at FROM launch_tokens`,
    );
    expect(rows).toEqual([{ login, ttl_s: 300, used_at: null }]);
    // only a digest of the token is stored
    const stored = await target.sql.query(
      `SELECT count(*)::int AS n FROM launch_tokens WHERE encode(token_hash, 'hex') = $1`,
      [token],
    );
    expect(stored.rows[0].n).toBe(0);
  });

  it('issues a different token every time', async () => {
    const login = await api.createAccount();
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i += 1) tokens.add(await api.launchToken(login));
    expect(tokens.size).toBe(5);
  });

  it('answers 404 ACCOUNT_NOT_FOUND for an unknown login and issues nothing', async () => {
    const before = await stateSnapshot(target.sql);
    const response = await launch(424242424);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'ACCOUNT_NOT_FOUND', message: expect.any(String) });
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });

  it('answers 403 for a disabled account and issues nothing; enabled again it works', async () => {
    const login = await api.createAccount();
    expect((await api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' })).status).toBe(200);
    const before = await stateSnapshot(target.sql);
    const response = await launch(login);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect(await stateSnapshot(target.sql)).toEqual(before);
    expect((await api.admin('PATCH', `/admin/accounts/${login}`, { status: 'active' })).status).toBe(200);
    expect((await launch(login)).status).toBe(201);
  });

  it('refuses the admin key, the wallet secret, a wrong key and no key with 401 UNAUTHORIZED', async () => {
    const login = await api.createAccount();
    const before = await stateSnapshot(target.sql);
    const credentials: [string, Record<string, string>][] = [
      ['admin key', { Authorization: `Bearer ${target.config.adminApiKey}` }],
      ['wallet secret', { Authorization: `Bearer ${TEST_WALLET_SECRET}` }],
      ['wrong key', { Authorization: 'Bearer not-the-operator-key-0123456789' }],
      ['operator key with a suffix', { Authorization: `Bearer ${target.config.operatorApiKey}0` }],
      ['operator key without Bearer', { Authorization: target.config.operatorApiKey }],
      ['no key', {}],
    ];
    for (const [credential, headers] of credentials) {
      const response = await api.http.request('POST', '/operator/launch-tokens', JSON.stringify({ login }), headers);
      expect({ credential, status: response.status, body: response.body }).toEqual({
        credential,
        status: 401,
        body: { error: 'UNAUTHORIZED', message: expect.any(String) },
      });
    }
    expect(await stateSnapshot(target.sql)).toEqual(before);
  });

  it('refuses the operator key on the admin API', async () => {
    const login = await api.createAccount();
    const response = await api.admin('GET', `/admin/accounts/${login}`, undefined, target.config.operatorApiKey);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
  });
});

describe('launch token use', () => {
  it('works exactly once with /wallet/authenticate', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '12.34');
    const token = await api.launchToken(login);
    const first = await api.wallet.call('authenticate', { token });
    expect(first).toEqual({
      status: 'Ok',
      walletToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      userId: String(login),
      currency: 'USD',
      balance: '12.34',
    });
    expect(await api.wallet.call('getbalance', { token: first.walletToken, currency: 'USD' })).toMatchObject({
      status: 'Ok',
      balance: '12.34',
    });

    const second = await api.wallet.call('authenticate', { token });
    expect(second).toMatchObject({ status: 'InvalidToken' });
    expect(second.walletToken).toBeUndefined();
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM wallet_tokens WHERE login = $1`, [login]);
    expect(rows[0].n).toBe(1);
    const used = await target.sql.query(`SELECT (used_at IS NOT NULL) AS used FROM launch_tokens WHERE login = $1`, [
      login,
    ]);
    expect(used.rows).toEqual([{ used: true }]);
  });

  it('is not a wallet token: the launch token itself cannot query the balance', async () => {
    const login = await api.createAccount();
    const token = await api.launchToken(login);
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'InvalidToken' });
    expect((await api.wallet.call('authenticate', { token })).status).toBe('Ok');
  });

  it('refuses a token of a disabled account at authenticate', async () => {
    const login = await api.createAccount();
    const token = await api.launchToken(login);
    expect((await api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' })).status).toBe(200);
    const answer = await api.wallet.call('authenticate', { token });
    expect(answer.status).toBe('Unauthorized');
    expect(answer.walletToken).toBeUndefined();
  });

  it('refuses a token once it expired', async () => {
    const login = await api.createAccount();
    const token = await api.launchToken(login);
    await target.sql.query(`UPDATE launch_tokens SET expires_at = now() - interval '1 second' WHERE login = $1`, [
      login,
    ]);
    expect(await api.wallet.call('authenticate', { token })).toMatchObject({ status: 'InvalidToken' });
  });
});
