import { randomBytes } from 'node:crypto';
import type { HttpJsonResponse } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import { hashToken } from '../../../src/shared/tokens';
import { signV2 } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { bucketsOf, stateSnapshot } from '../../support/probes';
import {
  TEST_WALLET_SECRET,
  ledgerDiscrepancies,
  startTestService,
  type TestService,
} from '../../support/test-service';

/**
 * Attacks on the wallet API's signatures and tokens with two instances on one database: a captured
 * request replayed on the other instance, timestamps outside the window, a rotated secret, tokens
 * used by the wrong user or twice.
 */

const nowS = () => Math.floor(Date.now() / 1000);
const newNonce = () => randomBytes(16).toString('hex');

/** Exactly these bytes with exactly these v2 headers: what an attacker who captured a request can send. */
interface CapturedRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

function signed(
  path: string,
  fields: Record<string, unknown>,
  options: { nonce?: string; timestampS?: number; secret?: string } = {},
): CapturedRequest {
  const body = JSON.stringify(fields);
  const headers = signV2(
    options.secret ?? TEST_WALLET_SECRET,
    'POST',
    path,
    body,
    options.timestampS ?? nowS(),
    options.nonce ?? newNonce(),
  );
  return { path, body, headers };
}

function send(api: TestApi, request: CapturedRequest): Promise<HttpJsonResponse> {
  return api.http.request('POST', request.path, request.body, request.headers);
}

async function statusOf(api: TestApi, request: CapturedRequest): Promise<string> {
  const response = await send(api, request);
  expect(response.status).toBe(200);
  return (response.body as { status: string }).status;
}

describe('two instances on one database', () => {
  let first: TestService;
  let second: TestService;
  let onFirst: TestApi;
  let onSecond: TestApi;
  let tradeSeq = 0;

  beforeAll(async () => {
    first = await startTestService();
    second = await startTestService({}, first.databaseUrl);
    onFirst = new TestApi(first);
    onSecond = new TestApi(second);
  });
  afterEach(async () => {
    expect(await ledgerDiscrepancies(first.sql)).toEqual([]);
  });
  afterAll(async () => {
    onFirst.close();
    onSecond.close();
    await second.service.stop();
    await second.sql.end();
    await first.stop();
  });

  const trade = (token: string, amount: string, id = `replay-${(tradeSeq += 1)}`) => ({
    token,
    amount,
    currency: 'USD',
    externalTradeType: 'options',
    externalTradeId: id,
  });

  describe('replayed v2 nonces', () => {
    it('refuses on instance B a getbalance whose nonce instance A accepted, and on A again', async () => {
      const { token } = await onFirst.player('50.00');
      const captured = signed('/wallet/getbalance', { token, currency: 'USD' });
      expect(await send(onFirst, captured)).toMatchObject({ status: 200, body: { status: 'Ok', balance: '50.00' } });
      expect(await send(onSecond, captured)).toMatchObject({ status: 200, body: { status: 'InvalidDigest' } });
      expect(await send(onFirst, captured)).toMatchObject({ status: 200, body: { status: 'InvalidDigest' } });
    });

    it('refuses a replayed opentrade on the other instance and moves nothing', async () => {
      const { login, token } = await onFirst.player('100.00');
      const captured = signed('/wallet/opentrade', trade(token, '10'));
      expect(await statusOf(onFirst, captured)).toBe('Ok');
      const before = await stateSnapshot(first.sql);
      expect(await statusOf(onSecond, captured)).toBe('InvalidDigest');
      expect(await statusOf(onFirst, captured)).toBe('InvalidDigest');
      expect(await stateSnapshot(first.sql)).toEqual(before);
      expect(await bucketsOf(first.sql, login)).toMatchObject({ balance: '9000', held: '1000' });
    });

    it('refuses a nonce seen before even in a new, correctly signed request to another endpoint', async () => {
      const { login, token } = await onFirst.player('100.00');
      const nonce = newNonce();
      expect(await statusOf(onFirst, signed('/wallet/getbalance', { token, currency: 'USD' }, { nonce }))).toBe('Ok');
      const before = await stateSnapshot(first.sql);
      expect(await statusOf(onSecond, signed('/wallet/opentrade', trade(token, '5'), { nonce }))).toBe('InvalidDigest');
      expect(await statusOf(onSecond, signed('/wallet/getbalance', { token, currency: 'EUR' }, { nonce }))).toBe(
        'InvalidDigest',
      );
      expect(await stateSnapshot(first.sql)).toEqual(before);
      expect(await bucketsOf(first.sql, login)).toMatchObject({ balance: '10000', held: '0' });
    });

    it('consumes an authenticate nonce too: a later request with it is refused on the other instance', async () => {
      const { token } = await onFirst.player('1.00');
      const otherLogin = await onFirst.createAccount();
      const nonce = newNonce();
      const authenticated = await send(
        onFirst,
        signed('/wallet/authenticate', { token: await onFirst.launchToken(otherLogin) }, { nonce }),
      );
      expect(authenticated.body).toMatchObject({ status: 'Ok' });
      expect(await statusOf(onSecond, signed('/wallet/getbalance', { token, currency: 'USD' }, { nonce }))).toBe(
        'InvalidDigest',
      );
    });

    it('accepts one copy of a request sent many times at once to both instances', async () => {
      const { login, token } = await onFirst.player('100.00');
      const captured = signed('/wallet/opentrade', trade(token, '7'));
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, index) => statusOf(index % 2 === 0 ? onFirst : onSecond, captured)),
      );
      expect(statuses.filter((status) => status === 'Ok')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'InvalidDigest')).toHaveLength(19);
      expect(await bucketsOf(first.sql, login)).toMatchObject({ balance: '9300', held: '700', version: '2' });
    });
  });

  describe('timestamps', () => {
    /**
     * Sends a request stamped `offsetS` from now. The server compares with its own clock in whole
     * seconds; retried if the second changed while the request was under way, so that the offset the
     * server saw is exactly `offsetS`.
     */
    async function stampedStatus(
      api: TestApi,
      path: string,
      fields: Record<string, unknown>,
      offsetS: number,
    ): Promise<string> {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const sentAt = nowS();
        const status = await statusOf(api, signed(path, fields, { timestampS: sentAt + offsetS }));
        if (nowS() === sentAt) return status;
      }
      throw new Error('the clock second kept changing during the request');
    }

    it.each([
      [-61, 'InvalidDigest'],
      [61, 'InvalidDigest'],
      [-59, 'Ok'],
      [59, 'Ok'],
      [-3600, 'InvalidDigest'],
      [3600, 'InvalidDigest'],
    ])('a getbalance stamped %i s from now is %s on both instances', async (offsetS, expected) => {
      const { token } = await onFirst.player('3.00');
      expect(await stampedStatus(onFirst, '/wallet/getbalance', { token, currency: 'USD' }, offsetS)).toBe(expected);
      expect(await stampedStatus(onSecond, '/wallet/getbalance', { token, currency: 'USD' }, offsetS)).toBe(expected);
    });

    it('refuses an opentrade stamped 61 s away on either side and moves nothing; 59 s away it applies once', async () => {
      const { login, token } = await onFirst.player('100.00');
      const before = await stateSnapshot(first.sql);
      for (const offsetS of [-61, 61]) {
        expect(await stampedStatus(onFirst, '/wallet/opentrade', trade(token, '1'), offsetS)).toBe('InvalidDigest');
        expect(await stampedStatus(onSecond, '/wallet/opentrade', trade(token, '1'), offsetS)).toBe('InvalidDigest');
      }
      expect(await stateSnapshot(first.sql)).toEqual(before);
      expect(await stampedStatus(onFirst, '/wallet/opentrade', trade(token, '1'), -59)).toBe('Ok');
      expect(await stampedStatus(onSecond, '/wallet/opentrade', trade(token, '2'), 59)).toBe('Ok');
      expect(await bucketsOf(first.sql, login)).toMatchObject({ balance: '9700', held: '300', version: '3' });
    });

    it('refuses a stale request even with a nonce never seen before, and does not consume that nonce', async () => {
      const { token } = await onFirst.player('3.00');
      const nonce = newNonce();
      expect(
        await statusOf(
          onFirst,
          signed('/wallet/getbalance', { token, currency: 'USD' }, { nonce, timestampS: nowS() - 120 }),
        ),
      ).toBe('InvalidDigest');
      expect(await statusOf(onSecond, signed('/wallet/getbalance', { token, currency: 'USD' }, { nonce }))).toBe('Ok');
    });
  });

  describe('tokens', () => {
    it("refuses one user's wallet token on another user's trade on either instance, and moves nothing", async () => {
      const owner = await onFirst.player('100.00');
      const other = await onFirst.player('100.00');
      const opened = trade(owner.token, '10');
      expect(await onFirst.wallet.call('opentrade', opened)).toMatchObject({ status: 'Ok', balance: '90.00' });
      const before = await stateSnapshot(first.sql);
      for (const api of [onFirst, onSecond]) {
        expect(await api.wallet.call('closetrade', { ...opened, token: other.token, amount: '20' })).toMatchObject({
          status: 'Unauthorized',
        });
        expect(await api.wallet.call('closetrade', { ...opened, token: other.token, amount: '0' })).toMatchObject({
          status: 'Unauthorized',
        });
        // the other user's token cannot take over the key either
        expect(await api.wallet.call('opentrade', { ...opened, token: other.token })).toMatchObject({
          status: 'DuplicateTransaction',
        });
      }
      expect(await stateSnapshot(first.sql)).toEqual(before);
      expect(await bucketsOf(first.sql, owner.login)).toMatchObject({ balance: '9000', held: '1000' });
      expect(await bucketsOf(first.sql, other.login)).toMatchObject({ balance: '10000', held: '0', version: '1' });
      // the owner still closes it, once
      expect(await onSecond.wallet.call('closetrade', { ...opened, amount: '20' })).toMatchObject({
        status: 'Ok',
        balance: '110.00',
      });
      expect(await onFirst.wallet.call('closetrade', { ...opened, token: other.token, amount: '20' })).toMatchObject({
        status: 'Unauthorized',
      });
      expect(await bucketsOf(first.sql, owner.login)).toMatchObject({ balance: '11000', held: '0' });
      expect(await bucketsOf(first.sql, other.login)).toMatchObject({ balance: '10000', version: '1' });
    });

    it('refuses a launch token reused on the other instance', async () => {
      const login = await onFirst.createAccount();
      const launch = await onFirst.launchToken(login);
      expect(await onFirst.wallet.call('authenticate', { token: launch })).toMatchObject({
        status: 'Ok',
        userId: String(login),
      });
      const before = await stateSnapshot(first.sql);
      expect(await onSecond.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
      expect(await onFirst.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
      expect(await stateSnapshot(first.sql)).toEqual(before);
    });

    it('exchanges a launch token sent to both instances at once exactly once', async () => {
      const login = await onFirst.createAccount();
      const launch = await onFirst.launchToken(login);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 ? onSecond : onFirst).wallet.call('authenticate', { token: launch }),
        ),
      );
      expect(answers.filter((answer) => answer.status === 'Ok')).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 'InvalidToken')).toHaveLength(9);
      const { rows } = await first.sql.query(`SELECT count(*)::int AS n FROM wallet_tokens WHERE login = $1`, [login]);
      expect(rows[0].n).toBe(1);
    });

    it('refuses an expired launch token and issues no wallet token', async () => {
      const login = await onFirst.createAccount();
      const launch = await onFirst.launchToken(login);
      const fresh = await onFirst.launchToken(login);
      await first.sql.query(`UPDATE launch_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
        hashToken(launch),
      ]);
      const before = await stateSnapshot(first.sql);
      expect(await onSecond.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
      expect(await onFirst.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
      expect(await stateSnapshot(first.sql)).toEqual(before);
      // the unexpired one of the same user still works
      expect(await onSecond.wallet.call('authenticate', { token: fresh })).toMatchObject({ status: 'Ok' });
    });
  });
});

describe('wallet secret rotation', () => {
  const OLD = 'old-wallet-secret-0123456789abcdef';
  const NEW = 'new-wallet-secret-fedcba9876543210';
  const OTHER = 'never-configured-secret-0123456789';
  let both: TestService;
  let newOnly: TestService;
  let api: TestApi;
  const clients: WalletClient[] = [];
  let tradeSeq = 0;

  const client = (target: TestService, secret: string, scheme: 'v2' | 'legacy') => {
    const made = new WalletClient(target.baseUrl, secret, { signing: scheme });
    clients.push(made);
    return made;
  };
  const trade = (token: string, amount: string) => ({
    token,
    amount,
    currency: 'USD',
    externalTradeType: 'rotation',
    externalTradeId: `rot-${(tradeSeq += 1)}`,
  });

  beforeAll(async () => {
    both = await startTestService({ WALLET_SECRETS: `${OLD},${NEW}` });
    newOnly = await startTestService({ WALLET_SECRETS: NEW }, both.databaseUrl);
    api = new TestApi(both);
  });
  afterAll(async () => {
    clients.forEach((made) => made.close());
    api.close();
    await newOnly.service.stop();
    await newOnly.sql.end();
    await both.stop();
  });

  async function player(): Promise<{ login: number; token: string }> {
    const login = await api.createAccount();
    await api.deposit(login, '100');
    const answer = await client(both, OLD, 'v2').call('authenticate', { token: await api.launchToken(login) });
    expect(answer).toMatchObject({ status: 'Ok' });
    return { login, token: answer.walletToken! };
  }

  it.each([
    ['old', 'v2'],
    ['old', 'legacy'],
    ['new', 'v2'],
    ['new', 'legacy'],
  ] as const)('accepts requests signed with the %s secret (%s) while both are configured', async (which, scheme) => {
    const { login, token } = await player();
    const wallet = client(both, which === 'old' ? OLD : NEW, scheme);
    const opened = trade(token, '10');
    expect(await wallet.call('getbalance', { token, currency: 'USD' })).toEqual({
      status: 'Ok',
      balance: '100.00',
      currency: 'USD',
    });
    expect(await wallet.call('opentrade', opened)).toMatchObject({ status: 'Ok', balance: '90.00' });
    expect(await wallet.call('closetrade', { ...opened, amount: '15' })).toMatchObject({
      status: 'Ok',
      balance: '105.00',
    });
    const fresh = await wallet.call('authenticate', { token: await api.launchToken(login) });
    expect(fresh).toMatchObject({ status: 'Ok', userId: String(login) });
    expect(await bucketsOf(both.sql, login)).toMatchObject({ balance: '10500', held: '0', version: '3' });
  });

  it.each([['v2'], ['legacy']] as const)(
    'refuses the old secret (%s) on an instance configured with the new one only, and moves nothing',
    async (scheme) => {
      const { login, token } = await player();
      const oldWallet = client(newOnly, OLD, scheme);
      const launch = await api.launchToken(login);
      const before = await stateSnapshot(both.sql);
      expect(await oldWallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'InvalidDigest' });
      expect(await oldWallet.call('opentrade', trade(token, '10'))).toMatchObject({ status: 'InvalidDigest' });
      expect(await oldWallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidDigest' });
      expect(await stateSnapshot(both.sql)).toEqual(before);
      // the new secret works there, and a secret never configured works nowhere
      expect(await client(newOnly, NEW, scheme).call('opentrade', trade(token, '10'))).toMatchObject({
        status: 'Ok',
        balance: '90.00',
      });
      for (const target of [both, newOnly]) {
        expect(await client(target, OTHER, scheme).call('getbalance', { token, currency: 'USD' })).toMatchObject({
          status: 'InvalidDigest',
        });
      }
      expect(await bucketsOf(both.sql, login)).toMatchObject({ balance: '9000', held: '1000', version: '2' });
    },
  );
});
