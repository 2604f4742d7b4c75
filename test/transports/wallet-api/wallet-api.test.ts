import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { WalletClient } from '@wallet-service/client';
import { signV2 } from '@wallet-service/client';
import { TestApi, useTestService } from '../../support/api';
import type { TestService } from '../../support/test-service';

let target: TestService;
let api: TestApi;
let tradeSeq = 0;

useTestService((started) => ({ target, api } = started));

function tradeKey() {
  tradeSeq += 1;
  return { externalTradeType: 'options', externalTradeId: `t-${tradeSeq}` };
}

const trade = (token: string, amount: string, key = tradeKey(), currency = 'USD') => ({
  token,
  amount,
  currency,
  ...key,
});

describe('authenticate', () => {
  it('exchanges a launch token for a wallet token and answers the balance', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '25.50');
    const answer = await api.wallet.call('authenticate', { token: await api.launchToken(login) });
    expect(answer).toMatchObject({ status: 'Ok', userId: String(login), currency: 'USD', balance: '25.50' });
    expect(answer.walletToken).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a launch token used twice', async () => {
    const login = await api.createAccount();
    const launch = await api.launchToken(login);
    expect((await api.wallet.call('authenticate', { token: launch })).status).toBe('Ok');
    expect(await api.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
  });

  it('refuses an expired launch token', async () => {
    const login = await api.createAccount();
    const launch = await api.launchToken(login);
    await target.sql.query(`UPDATE launch_tokens SET expires_at = now() - interval '1 second'`);
    expect(await api.wallet.call('authenticate', { token: launch })).toMatchObject({ status: 'InvalidToken' });
  });
});

describe('getbalance', () => {
  it('answers balance + credit formatted to the currency scale', async () => {
    const { login, token } = await api.player('30.00');
    await api.balanceOperation(login, 'credit', '50');
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toEqual({
      balance: '80.00',
      currency: 'USD',
      status: 'Ok',
    });
  });

  it('answers InsufficientFunds with the balance when the amount exceeds it', async () => {
    const { token } = await api.player('10.00');
    expect(await api.wallet.call('getbalance', { token, currency: 'USD', amount: '10.01' })).toMatchObject({
      status: 'InsufficientFunds',
      balance: '10.00',
      currency: 'USD',
    });
    expect(await api.wallet.call('getbalance', { token, currency: 'USD', amount: '10.00' })).toMatchObject({
      status: 'Ok',
    });
  });

  it('answers CurrencyMismatch for another currency, known or not', async () => {
    const { token } = await api.player('10.00');
    expect(await api.wallet.call('getbalance', { token, currency: 'EUR' })).toMatchObject({
      status: 'CurrencyMismatch',
    });
    expect(await api.wallet.call('getbalance', { token, currency: 'XYZ' })).toMatchObject({
      status: 'CurrencyMismatch',
    });
  });

  it('answers InvalidToken for an unknown or expired wallet token', async () => {
    expect(await api.wallet.call('getbalance', { token: 'nope', currency: 'USD' })).toMatchObject({
      status: 'InvalidToken',
    });
    const { token } = await api.player('1.00');
    await target.sql.query(`UPDATE wallet_tokens SET expires_at = now() - interval '1 second'`);
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'InvalidToken' });
  });

  it('answers Unauthorized for a disabled account', async () => {
    const { login, token } = await api.player('1.00');
    expect((await api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' })).status).toBe(200);
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'Unauthorized' });
    expect(await api.wallet.call('opentrade', trade(token, '1'))).toMatchObject({ status: 'Unauthorized' });
  });
});

describe('opentrade and closetrade', () => {
  it('reserves the stake into held and pays stake + payout on a win', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    expect(await api.wallet.call('opentrade', trade(token, '40', key))).toEqual({
      balance: '60.00',
      currency: 'USD',
      status: 'Ok',
    });
    expect(await api.account(login)).toMatchObject({ balance: '60.00', held: '40.00', credit: '0.00' });
    expect(await api.wallet.call('closetrade', trade(token, '76.00', key))).toEqual({
      balance: '136.00',
      currency: 'USD',
      status: 'Ok',
    });
    expect(await api.account(login)).toMatchObject({ balance: '136.00', held: '0.00' });
  });

  it('pays nothing on a loss and the stake back on a tie', async () => {
    const { login, token } = await api.player('100.00');
    const lost = tradeKey();
    const tie = tradeKey();
    await api.wallet.call('opentrade', trade(token, '10', lost));
    await api.wallet.call('opentrade', trade(token, '20', tie));
    expect(await api.wallet.call('closetrade', trade(token, '0', lost))).toMatchObject({
      status: 'Ok',
      balance: '70.00',
    });
    expect(await api.wallet.call('closetrade', trade(token, '20', tie))).toMatchObject({
      status: 'Ok',
      balance: '90.00',
    });
    expect(await api.account(login)).toMatchObject({ balance: '90.00', held: '0.00' });
  });

  it('takes the stake from balance first, then credit, and restores credit first on close', async () => {
    const { login, token } = await api.player('30.00');
    await api.balanceOperation(login, 'credit', '50.00');
    const won = tradeKey();
    expect(await api.wallet.call('opentrade', trade(token, '60', won))).toMatchObject({
      status: 'Ok',
      balance: '20.00',
    });
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '20.00', held: '60.00' });
    // 100 paid: the 30 taken from credit go back to credit, the other 70 to balance
    await api.wallet.call('closetrade', trade(token, '100', won));
    expect(await api.account(login)).toMatchObject({
      balance: '70.00',
      credit: '50.00',
      held: '0.00',
      withdrawable: '70.00',
    });

    const partial = tradeKey();
    await api.wallet.call('opentrade', trade(token, '100', partial)); // 70 from balance, 30 from credit
    await api.wallet.call('closetrade', trade(token, '10', partial)); // all 10 restore credit
    expect(await api.account(login)).toMatchObject({ balance: '0.00', credit: '30.00', held: '0.00' });
  });

  it('refuses a stake above balance + credit with InsufficientFunds and moves nothing', async () => {
    const { login, token } = await api.player('5.00');
    expect(await api.wallet.call('opentrade', trade(token, '5.01'))).toMatchObject({
      status: 'InsufficientFunds',
      balance: '5.00',
    });
    expect(await api.account(login)).toMatchObject({ balance: '5.00', held: '0.00', version: 1 });
  });

  it('answers a replayed opentrade or closetrade from the first outcome, moving nothing again', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    const opened = await api.wallet.call('opentrade', trade(token, '10', key));
    await api.wallet.call('opentrade', trade(token, '15')); // another trade in between
    expect(await api.wallet.call('opentrade', trade(token, '10.000', key))).toEqual(opened);
    const closed = await api.wallet.call('closetrade', trade(token, '18', key));
    expect(await api.wallet.call('closetrade', trade(token, '18', key))).toEqual(closed);
    expect(await api.account(login)).toMatchObject({ balance: '93.00', held: '15.00' });
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM journal_entries WHERE login = $1`, [login]);
    expect(rows[0].n).toBe(4); // deposit, two opens, one close
  });

  it('answers DuplicateTransaction when a trade key comes back with other content', async () => {
    const first = await api.player('100.00');
    const second = await api.player('100.00');
    const key = tradeKey();
    await api.wallet.call('opentrade', trade(first.token, '10', key));
    expect(await api.wallet.call('opentrade', trade(first.token, '11', key))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    expect(await api.wallet.call('opentrade', trade(second.token, '10', key))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    await api.wallet.call('closetrade', trade(first.token, '20', key));
    expect(await api.wallet.call('closetrade', trade(first.token, '21', key))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    expect(await api.account(first.login)).toMatchObject({ balance: '110.00', held: '0.00' });
    expect(await api.account(second.login)).toMatchObject({ balance: '100.00', held: '0.00' });
    const { rows } = await target.sql.query(
      `SELECT count(*)::int AS n FROM refused_duplicates WHERE idempotency_key = $1`,
      [`options:${key.externalTradeId}`],
    );
    expect(rows[0].n).toBe(3);
  });

  it('answers Unauthorized when another user closes the trade', async () => {
    const owner = await api.player('100.00');
    const other = await api.player('100.00');
    const key = tradeKey();
    await api.wallet.call('opentrade', trade(owner.token, '10', key));
    expect(await api.wallet.call('closetrade', trade(other.token, '20', key))).toMatchObject({
      status: 'Unauthorized',
    });
    expect(await api.account(owner.login)).toMatchObject({ held: '10.00', balance: '90.00' });
    expect(await api.account(other.login)).toMatchObject({ balance: '100.00' });
  });

  it('closes a trade after the wallet token expired', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    await api.wallet.call('opentrade', trade(token, '10', key));
    await target.sql.query(`UPDATE wallet_tokens SET expires_at = now() - interval '1 day' WHERE login = $1`, [login]);
    expect(await api.wallet.call('opentrade', trade(token, '10'))).toMatchObject({ status: 'InvalidToken' });
    expect(await api.wallet.call('closetrade', trade(token, '25', key))).toMatchObject({
      status: 'Ok',
      balance: '115.00',
    });
  });

  it('records a close of a never-opened trade as an orphan, moves nothing, and refuses a later open', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    expect(await api.wallet.call('closetrade', trade(token, '50', key))).toEqual({
      balance: '100.00',
      currency: 'USD',
      status: 'Ok',
    });
    expect(await api.wallet.call('closetrade', trade(token, '50', key))).toMatchObject({
      status: 'Ok',
      balance: '100.00',
    });
    expect(await api.wallet.call('opentrade', trade(token, '50', key))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    expect(await api.account(login)).toMatchObject({ balance: '100.00', held: '0.00', version: 1 });
    const { rows } = await target.sql.query(`SELECT state, payout_minor FROM trades WHERE trade_id = $1`, [
      key.externalTradeId,
    ]);
    expect(rows).toEqual([{ state: 'orphan_closed', payout_minor: '5000' }]);
  });

  it('answers CurrencyMismatch when the trade currency differs', async () => {
    const { token } = await api.player('100.00');
    expect(await api.wallet.call('opentrade', trade(token, '1', tradeKey(), 'EUR'))).toMatchObject({
      status: 'CurrencyMismatch',
    });
  });

  it('answers DuplicateTransaction when an opened or closed trade key comes back in another currency', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    await api.wallet.call('opentrade', trade(token, '10', key));
    expect(await api.wallet.call('opentrade', trade(token, '10', key, 'EUR'))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    // closing the open trade in another currency is a wrong currency, not a repeat
    expect(await api.wallet.call('closetrade', trade(token, '20', key, 'EUR'))).toMatchObject({
      status: 'CurrencyMismatch',
    });
    await api.wallet.call('closetrade', trade(token, '20', key));
    expect(await api.wallet.call('closetrade', trade(token, '20', key, 'EUR'))).toMatchObject({
      status: 'DuplicateTransaction',
    });
    expect(await api.account(login)).toMatchObject({ balance: '110.00', held: '0.00' });
  });

  it('answers a replayed opentrade from its first outcome even after the account was disabled', async () => {
    const { login, token } = await api.player('100.00');
    const key = tradeKey();
    const first = await api.wallet.call('opentrade', trade(token, '10', key));
    await api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' });
    expect(await api.wallet.call('opentrade', trade(token, '10', key))).toEqual(first);
    expect(await api.wallet.call('opentrade', trade(token, '10'))).toMatchObject({ status: 'Unauthorized' });
    expect(await api.account(login)).toMatchObject({ balance: '90.00', held: '10.00' });
  });
});

describe('exact money', () => {
  it('adds 0.1 and 0.2 to exactly 0.30', async () => {
    const { login, token } = await api.player('0');
    await api.deposit(login, '0.1');
    await api.deposit(login, '0.2');
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ balance: '0.30' });
  });

  it('keeps amounts above 2^53 minor units exact', async () => {
    const { login, token } = await api.player('0', 'BTC');
    // 2^53 + 1 satoshi, sent as a JSON number (read by its decimal text, never as a double)
    const response = await api.http.request(
      'POST',
      '/admin/balance',
      `{"accountId": ${login}, "operation": "add", "amount": 90071992.54740993}`,
      { Authorization: `Bearer ${target.config.adminApiKey}` },
    );
    expect(response.status).toBe(200);
    await api.deposit(login, '0.00000001');
    expect(await api.wallet.call('getbalance', { token, currency: 'BTC' })).toMatchObject({
      balance: '90071992.54740994',
    });
    const key = tradeKey();
    await api.wallet.call('opentrade', trade(token, '0.00000003', key, 'BTC'));
    expect(await api.account(login)).toMatchObject({ balance: '90071992.54740991', held: '0.00000003' });
  });

  it('refuses funds a settlement could not hold, so that every accepted stake can always be settled', async () => {
    // balance + credit + 10,000 x held must fit in 64 bits: a closetrade paying up to 10,000 x its
    // stake then always fits, so a trade is never left open because its payout overflows the account.
    const { login, token } = await api.player('0', 'JPY');
    // 92 deposits of the largest single operation (10^17): 9.2 x 10^18, 2.3 x 10^16 below 2^63
    for (let i = 0; i < 92; i += 1) await api.deposit(login, '100000000000000000');
    const refused = await api.wallet.call('opentrade', trade(token, '3000000000000', tradeKey(), 'JPY'));
    expect(refused).toMatchObject({ status: 'InvalidRequest', message: expect.stringContaining('limit') });
    const key = tradeKey();
    expect(await api.wallet.call('opentrade', trade(token, '1000000000000', key, 'JPY'))).toMatchObject({
      status: 'Ok',
    });
    // a payout of 10,000 x the stake settles although the account is near its limit
    expect(await api.wallet.call('closetrade', trade(token, '10000000000000000', key, 'JPY'))).toMatchObject({
      status: 'Ok',
    });
    expect(await api.account(login)).toMatchObject({ balance: '9209999000000000000', held: '0' });
  });

  it('accepts trailing zeros and refuses decimals beyond the currency scale', async () => {
    const { token } = await api.player('10');
    expect(await api.wallet.call('opentrade', trade(token, '1.0000000000'))).toMatchObject({
      status: 'Ok',
      balance: '9.00',
    });
    expect(await api.wallet.call('opentrade', trade(token, '1.001'))).toMatchObject({ status: 'InvalidRequest' });
  });
});

describe('signatures', () => {
  it('accepts the legacy body hash and refuses a wrong one', async () => {
    const { token } = await api.player('12.00');
    const legacy = new WalletClient(target.baseUrl, target.config.walletSecrets[0]!, { signing: 'legacy' });
    expect(await legacy.call('getbalance', { token, currency: 'USD' })).toMatchObject({
      status: 'Ok',
      balance: '12.00',
    });
    const wrong = new WalletClient(target.baseUrl, 'another-secret-0123456789', { signing: 'legacy' });
    expect(await wrong.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'InvalidDigest' });
    legacy.close();
    wrong.close();
  });

  it('refuses unsigned, wrongly signed, stale and replayed v2 requests', async () => {
    const { login, token } = await api.player('50.00');
    const body = JSON.stringify(trade(token, '1'));
    const path = '/wallet/opentrade';
    const now = Math.floor(Date.now() / 1000);
    const nonce = () => randomBytes(16).toString('hex');
    const secret = target.config.walletSecrets[0]!;
    const statusOf = async (headers: Record<string, string>, payload = body) =>
      ((await api.http.request('POST', path, payload, headers)).body as { status: string }).status;

    expect(await statusOf({})).toBe('InvalidDigest');
    expect(await statusOf(signV2('wrong-secret-0123456789', 'POST', path, body, now, nonce()))).toBe('InvalidDigest');
    expect(await statusOf(signV2(secret, 'POST', path, body, now - 61, nonce()))).toBe('InvalidDigest');
    expect(await statusOf(signV2(secret, 'POST', '/wallet/closetrade', body, now, nonce()))).toBe('InvalidDigest');
    const tampered = signV2(secret, 'POST', path, body, now, nonce());
    expect(await statusOf(tampered, body.replace('"1"', '"2"'))).toBe('InvalidDigest');
    expect(await api.account(login)).toMatchObject({ balance: '50.00', version: 1 });

    const headers = signV2(secret, 'POST', path, body, now, nonce());
    expect(await statusOf(headers)).toBe('Ok');
    expect(await statusOf(headers)).toBe('InvalidDigest');
    expect(await api.account(login)).toMatchObject({ balance: '49.00', held: '1.00' });
  });
});

describe('the HTTP around the wallet API', () => {
  it("answers JSON with a request id (the client's when sane) and counts the request under its route", async () => {
    const { token } = await api.player('5.00');
    const body = JSON.stringify({ token, currency: 'USD' });
    const secret = target.config.walletSecrets[0]!;
    const signed = () =>
      signV2(
        secret,
        'POST',
        '/wallet/getbalance',
        body,
        Math.floor(Date.now() / 1000),
        randomBytes(16).toString('hex'),
      );
    const given = await api.http.request('POST', '/wallet/getbalance', body, {
      ...signed(),
      'X-Request-Id': 'platform-42',
    });
    expect(given).toMatchObject({ status: 200, body: { status: 'Ok', balance: '5.00' } });
    expect(given.headers['x-request-id']).toBe('platform-42');
    expect(given.headers['content-type']).toBe('application/json; charset=utf-8');
    const fresh = await api.http.request('POST', '/wallet/getbalance', body, {
      ...signed(),
      'X-Request-Id': 'not sane!',
    });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const metrics = (await api.http.request('GET', '/metrics', null)).text;
    expect(metrics).toMatch(
      /wallet_http_requests_total\{route="\/wallet\/getbalance",method="POST",status_code="200"\} [1-9]/,
    );
  });

  it('reads a gzip body, signed over its JSON, and signs the path without its query string', async () => {
    const { token } = await api.player('6.00');
    const body = JSON.stringify({ token, currency: 'USD' });
    const secret = target.config.walletSecrets[0]!;
    const signed = () =>
      signV2(
        secret,
        'POST',
        '/wallet/getbalance',
        body,
        Math.floor(Date.now() / 1000),
        randomBytes(16).toString('hex'),
      );
    const gzipped = await api.http.request('POST', '/wallet/getbalance', gzipSync(body), {
      ...signed(),
      'Content-Encoding': 'gzip',
    });
    expect(gzipped).toMatchObject({ status: 200, body: { status: 'Ok', balance: '6.00' } });
    const withQuery = await api.http.request('POST', '/wallet/getbalance?trace=1', body, signed());
    expect(withQuery).toMatchObject({ status: 200, body: { status: 'Ok', balance: '6.00' } });
  });

  it('applies nothing of a request whose body the client abandons half-way, and goes on answering', async () => {
    const { login, token } = await api.player('8.00');
    const key = tradeKey();
    const body = JSON.stringify(trade(token, '3.00', key));
    const secret = target.config.walletSecrets[0]!;
    const headers = signV2(
      secret,
      'POST',
      '/wallet/opentrade',
      body,
      Math.floor(Date.now() / 1000),
      randomBytes(16).toString('hex'),
    );
    const { port } = new URL(target.baseUrl);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        const head = [
          `POST /wallet/opentrade HTTP/1.1`,
          `Host: 127.0.0.1`,
          `Content-Type: application/json`,
          `Content-Length: ${Buffer.byteLength(body)}`,
        ];
        for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
        socket.write(`${head.join('\r\n')}\r\n\r\n${body.slice(0, body.length >> 1)}`);
        // the platform goes away before the rest of the body
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // the service is answering, and the half request moved nothing
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({
      status: 'Ok',
      balance: '8.00',
    });
    const { rows } = await target.sql.query('SELECT count(*)::int AS n FROM trades WHERE trade_id = $1', [
      key.externalTradeId,
    ]);
    expect(rows[0].n).toBe(0);
    expect(await api.account(login)).toMatchObject({ balance: '8.00', held: '0.00' });
  });

  it('answers its four paths exactly: a trailing slash or other letter case is another path (404)', async () => {
    expect(await api.http.request('POST', '/wallet/getbalance/', '{}')).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
    expect(await api.http.request('POST', '/wallet/GetBalance', '{}')).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
  });

  it('answers 404 for other methods and paths under /wallet, and refuses an oversized body as InvalidRequest', async () => {
    expect(await api.http.request('GET', '/wallet/getbalance', null)).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
    expect(await api.http.request('POST', '/wallet/transfer', '{}')).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
    const oversized = await api.http.request(
      'POST',
      '/wallet/getbalance',
      JSON.stringify({ token: 'x'.repeat(20_000) }),
    );
    expect(oversized).toMatchObject({ status: 200, body: { status: 'InvalidRequest' } });
  });
});
