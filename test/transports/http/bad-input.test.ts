import type { HttpJsonResponse } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import {
  nestedArrays,
  nestedObjects,
  rawAdmin,
  rawObject,
  rawOperator,
  signedWallet,
  stateSnapshot,
} from '../../support/probes';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * Bad requests get the documented error, change nothing, and are never answered 5xx: a 5xx tells
 * the caller to retry, and retrying a malformed request can never succeed.
 */

let target: TestService;
let api: TestApi;
let walletToken: string;
let tradeSeq = 0;

/** A USD account with balance 100.00 and credit 10.00, target of the admin and operator requests. */
const LOGIN = 5001;
/** The account behind `walletToken`: balance 100.00. */
const PLAYER = 5002;
const BODY_LIMIT = 16 * 1024;

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  await api.createAccount('USD', LOGIN);
  await api.deposit(LOGIN, '100');
  await api.balanceOperation(LOGIN, 'credit', '10');
  await api.createAccount('USD', PLAYER);
  await api.deposit(PLAYER, '100');
  walletToken = await api.walletToken(PLAYER);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  api.close();
  await target.stop();
});

function invalidUtf8Json(prefix: string, suffix: string, bytes: number[] = [0xff, 0xfe, 0xc3]): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)]);
}

/** Sends, then checks the answer and that no account, entry, record, key or token changed. */
async function expectRefusedUnchanged(send: () => Promise<HttpJsonResponse>, status = 400): Promise<HttpJsonResponse> {
  const before = await stateSnapshot(target.sql);
  const response = await send();
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: 'INVALID_REQUEST', message: expect.any(String) },
  });
  expect(await stateSnapshot(target.sql)).toEqual(before);
  return response;
}

const balanceBody = (fields: Record<string, string>) =>
  rawObject({ accountId: String(LOGIN), operation: '"add"', amount: '"1"', ...fields });
const oversized = (extra = BODY_LIMIT + 1) => balanceBody({ comment: JSON.stringify('x'.repeat(extra)) });

/** Common malformations of a JSON object body; `valid` is a valid body of the endpoint. */
function malformedBodies(valid: string): [string, string | Buffer][] {
  return [
    ['malformed JSON (unterminated)', valid.slice(0, -1)],
    ['malformed JSON (trailing garbage)', `${valid} x`],
    ['malformed JSON (single quotes)', valid.replace(/"/g, "'")],
    ['two JSON documents', `${valid}${valid}`],
    ['a JSON array body', `[${valid}]`],
    ['a JSON string body', '"hello"'],
    ['a JSON number body', '42'],
    ['a JSON null body', 'null'],
    ['an empty body', ''],
    ['a whitespace body', '   \n'],
    ['invalid UTF-8 bytes', invalidUtf8Json(valid.slice(0, -1) + ',"x":"', '"}')],
    ['an overlong UTF-8 encoding', invalidUtf8Json(valid.slice(0, -1) + ',"x":"', '"}', [0xc0, 0xaf])],
    ['a UTF-8 encoded surrogate', invalidUtf8Json(valid.slice(0, -1) + ',"x":"', '"}', [0xed, 0xa0, 0x80])],
    ['deeply nested arrays', nestedArrays(8000)],
    ['deeply nested arrays in a field', `${valid.slice(0, -1)},"x":${nestedArrays(7000)}}`],
    ['deeply nested objects in a field', `${valid.slice(0, -1)},"x":${nestedObjects(2500)}}`],
    ['a duplicate key with another value', `${valid.slice(0, -1)},${valid.slice(1, valid.indexOf(','))}0}`],
  ];
}

describe('admin API: POST /admin/balance', () => {
  const valid = balanceBody({});

  it('accepts the valid body the cases below are derived from', async () => {
    const response = await rawAdmin(
      api,
      'POST',
      '/admin/balance',
      balanceBody({ amount: '"0.01"', operation: '"sub"' }),
    );
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: true });
    await api.deposit(LOGIN, '0.01');
  });

  it.each(malformedBodies(valid))('refuses %s with 400 INVALID_REQUEST', async (_name, body) => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/balance', body));
  });

  it.each([
    ['accountId as a string', { accountId: `"${LOGIN}"` }],
    ['accountId as a fraction', { accountId: `${LOGIN}.5` }],
    ['accountId in exponent form', { accountId: '5.001e3' }],
    ['accountId as a boolean', { accountId: 'true' }],
    ['accountId as an object', { accountId: `{"login":${LOGIN}}` }],
    ['accountId zero', { accountId: '0' }],
    ['accountId negative', { accountId: `-${LOGIN}` }],
    ['accountId of 2^63', { accountId: '9223372036854775808' }],
    ['accountId above 2^64', { accountId: '99999999999999999999999' }],
    ['amount as an object', { amount: '{"value":"1"}' }],
    ['amount as a boolean', { amount: 'true' }],
    ['amount as null', { amount: 'null' }],
    ['amount as an array', { amount: '["1"]' }],
    ['amount "1e400"', { amount: '"1e400"' }],
    ['amount 1e400 as a number', { amount: '1e400' }],
    ['amount "1e-400"', { amount: '"1e-400"' }],
    ['amount "-0"', { amount: '"-0"' }],
    ['amount -0 as a number', { amount: '-0' }],
    ['amount "NaN"', { amount: '"NaN"' }],
    ['amount "Infinity"', { amount: '"Infinity"' }],
    ['amount "1.001" for USD', { amount: '"1.001"' }],
    ['amount 1.001 as a number for USD', { amount: '1.001' }],
    ['amount "0.001"', { amount: '"0.001"' }],
    ['amount with spaces', { amount: '" 1 "' }],
    ['amount with a plus sign', { amount: '"+1"' }],
    ['amount with a comma', { amount: '"1,00"' }],
    ['amount in hex', { amount: '"0x10"' }],
    ['amount in full-width digits', { amount: '"１"' }],
    ['amount empty', { amount: '""' }],
    ['amount of 65 digits', { amount: JSON.stringify('1'.repeat(65)) }],
    ['amount above the limit of one operation', { amount: '"1000000000000000.01"' }],
    ['amount of 10^19 minor units', { amount: '"1e17"' }],
    ['operation as a number', { operation: '6' }],
    ['operation unknown', { operation: '"steal"' }],
    ['an unknown field', { extra: '1' }],
    ['a __proto__ field', { ['__proto__']: '{"isAdmin":true}' }],
    ['a constructor field', { constructor: '{}' }],
    ['comment as a number', { comment: '5' }],
    ['comment with a NUL character', { comment: '"a\\u0000b"' }],
    ['comment of 501 characters', { comment: JSON.stringify('c'.repeat(501)) }],
    ['referenceId empty', { referenceId: '""' }],
    ['referenceId as a number', { referenceId: '123' }],
    ['referenceId of 129 characters', { referenceId: JSON.stringify('r'.repeat(129)) }],
  ])('refuses %s with 400 INVALID_REQUEST', async (_name, fields) => {
    await expectRefusedUnchanged(() =>
      rawAdmin(api, 'POST', '/admin/balance', balanceBody(fields as Record<string, string>)),
    );
  });

  it.each([['accountId'], ['operation'], ['amount']])('refuses a body without %s with 400', async (field) => {
    const fields: Record<string, string> = { accountId: String(LOGIN), operation: '"add"', amount: '"1"' };
    delete fields[field];
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/balance', rawObject(fields)));
  });

  it('refuses a body over 16 KiB with 413 INVALID_REQUEST', async () => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/balance', oversized()), 413);
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/balance', oversized(1024 * 1024)), 413);
  });

  it('accepts a body of exactly 16 KiB and refuses one byte more', async () => {
    const body = balanceBody({ amount: '"2"' });
    const exact = body.slice(0, -1) + ' '.repeat(BODY_LIMIT - Buffer.byteLength(body)) + '}';
    expect(Buffer.byteLength(exact)).toBe(BODY_LIMIT);
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/balance', `${exact} `), 413);
    const before = await api.account(LOGIN);
    const response = await rawAdmin(api, 'POST', '/admin/balance', exact);
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: true });
    expect(Number((await api.account(LOGIN)).balance)).toBeCloseTo(Number(before.balance) + 2, 2);
    await api.balanceOperation(LOGIN, 'sub', '2');
  });
});

describe('admin API: POST /admin/accounts', () => {
  const valid = rawObject({ login: '6001', currency: '"USD"', name: '"n"' });

  it.each(malformedBodies(valid))('refuses %s with 400 INVALID_REQUEST', async (_name, body) => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/accounts', body));
  });

  it.each([
    ['login as a string', { login: '"6001"' }],
    ['login of 2^63', { login: '9223372036854775808' }],
    ['login above 2^64', { login: '123456789012345678901234567890' }],
    ['login in exponent form', { login: '6e3' }],
    ['login as a fraction', { login: '6001.5' }],
    ['login as a boolean', { login: 'false' }],
    ['currency as a number', { currency: '840' }],
    ['currency in lower case', { currency: '"usd"' }],
    ['currency unknown', { currency: '"XYZ"' }],
    ['name as a number', { name: '7' }],
    ['name of 201 characters', { name: JSON.stringify('n'.repeat(201)) }],
    ['name with a control character', { name: '"a\\u0007b"' }],
    ['an unknown field', { balance: '"1000000"' }],
  ])('refuses %s with 400 INVALID_REQUEST', async (_name, fields) => {
    const body = rawObject({ login: '6001', currency: '"USD"', ...(fields as Record<string, string>) });
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/accounts', body));
  });

  it('refuses a body over 16 KiB with 413 INVALID_REQUEST', async () => {
    const body = rawObject({ login: '6001', currency: '"USD"', name: JSON.stringify('n'.repeat(BODY_LIMIT)) });
    await expectRefusedUnchanged(() => rawAdmin(api, 'POST', '/admin/accounts', body), 413);
  });
});

describe('admin API: PATCH /admin/accounts/:login', () => {
  const valid = rawObject({ status: '"active"' });

  it.each([
    ...malformedBodies(valid),
    ['an unknown status', rawObject({ status: '"frozen"' })],
    ['status as a number', rawObject({ status: '1' })],
    ['an unknown field', rawObject({ status: '"active"', balance: '"5"' })],
  ] as [string, string | Buffer][])('refuses %s with 400 INVALID_REQUEST', async (_name, body) => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'PATCH', `/admin/accounts/${LOGIN}`, body));
    expect(await api.account(LOGIN)).toMatchObject({ status: 'active' });
  });
});

describe('admin API: paths and query strings', () => {
  it.each([
    ['abc'],
    ['0'],
    ['-1'],
    ['1e3'],
    ['5001.0'],
    ['%205001'],
    ['9223372036854775808'],
    ['99999999999999999999'],
    ["5001'%20OR%20'1'='1"],
  ])('refuses the login %j in a path with 400 INVALID_REQUEST', async (login) => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'GET', `/admin/accounts/${login}`, null));
    await expectRefusedUnchanged(() => rawAdmin(api, 'GET', `/admin/accounts/${login}/transactions`, null));
    await expectRefusedUnchanged(() =>
      rawAdmin(api, 'PATCH', `/admin/accounts/${login}`, rawObject({ status: '"disabled"' })),
    );
  });

  it.each([
    ['a cursor beyond the 64-bit range', `cursor=${Buffer.from('v1:9999999999999999999').toString('base64url')}`],
    ['a cursor of 20 digits', `cursor=${Buffer.from('v1:99999999999999999999').toString('base64url')}`],
    ['a cursor with SQL in it', `cursor=${encodeURIComponent("' OR 1=1 --")}`],
    ['a cursor of 201 characters', `cursor=${'a'.repeat(201)}`],
    ['two cursors', 'cursor=a&cursor=b'],
    ['two limits', 'limit=1&limit=2'],
    ['a limit above 2^53', 'limit=9007199254740993'],
    ['an unknown query parameter', 'offset=10'],
  ])('refuses %s with 400 INVALID_REQUEST', async (_name, query) => {
    await expectRefusedUnchanged(() => rawAdmin(api, 'GET', `/admin/accounts/${LOGIN}/transactions?${query}`, null));
  });
});

describe('operator API: POST /operator/launch-tokens', () => {
  const valid = rawObject({ login: String(LOGIN) });

  it('accepts the valid body the cases below are derived from', async () => {
    expect((await rawOperator(api, '/operator/launch-tokens', valid)).status).toBe(201);
  });

  it.each(malformedBodies(valid))('refuses %s with 400 INVALID_REQUEST', async (_name, body) => {
    await expectRefusedUnchanged(() => rawOperator(api, '/operator/launch-tokens', body));
  });

  it.each([
    ['login as a string', { login: `"${LOGIN}"` }],
    ['login of 2^63', { login: '9223372036854775808' }],
    ['login above 2^64', { login: '99999999999999999999999' }],
    ['login as a fraction', { login: `${LOGIN}.5` }],
    ['login in exponent form', { login: '5.001e3' }],
    ['login as a boolean', { login: 'true' }],
    ['login as an object', { login: `{"id":${LOGIN}}` }],
    ['login as null', { login: 'null' }],
    ['login zero', { login: '0' }],
    ['login negative', { login: `-${LOGIN}` }],
    ['an unknown field', { login: String(LOGIN), ttl: '99999' }],
    ['no login', {}],
  ])('refuses %s with 400 INVALID_REQUEST', async (_name, fields) => {
    await expectRefusedUnchanged(() =>
      rawOperator(api, '/operator/launch-tokens', rawObject(fields as Record<string, string>)),
    );
  });

  it('refuses a body over 16 KiB with 413 INVALID_REQUEST', async () => {
    const body = rawObject({ login: String(LOGIN), pad: JSON.stringify('p'.repeat(BODY_LIMIT)) });
    await expectRefusedUnchanged(() => rawOperator(api, '/operator/launch-tokens', body), 413);
  });
});

describe('wallet API (v2-signed, so that requests reach validation)', () => {
  function tradeFields(overrides: Record<string, string> = {}) {
    tradeSeq += 1;
    return {
      token: JSON.stringify(walletToken),
      amount: '"1"',
      currency: '"USD"',
      externalTradeType: '"options"',
      externalTradeId: JSON.stringify(`bad-${tradeSeq}`),
      ...overrides,
    };
  }

  async function expectInvalidRequest(path: string, body: string | Buffer) {
    const before = await stateSnapshot(target.sql);
    const response = await signedWallet(api, path, body);
    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { status: 'InvalidRequest', message: expect.any(String) },
    });
    expect(await stateSnapshot(target.sql)).toEqual(before);
  }

  it('accepts a valid signed opentrade (the base of the cases below)', async () => {
    const fields = tradeFields();
    const response = await signedWallet(api, '/wallet/opentrade', rawObject(fields));
    expect(response.body).toEqual({ status: 'Ok', balance: '99.00', currency: 'USD' });
    const closed = await signedWallet(api, '/wallet/closetrade', rawObject({ ...fields, amount: '"1"' }));
    expect(closed.body).toEqual({ status: 'Ok', balance: '100.00', currency: 'USD' });
  });

  it.each([['/wallet/authenticate'], ['/wallet/getbalance'], ['/wallet/opentrade'], ['/wallet/closetrade']])(
    '%s answers malformed JSON, arrays, invalid UTF-8 and deep nesting with InvalidRequest',
    async (path) => {
      const valid = path === '/wallet/authenticate' ? rawObject({ token: '"launch"' }) : rawObject(tradeFields());
      const cases: [string, string | Buffer][] = [
        ['unterminated', valid.slice(0, -1)],
        ['trailing garbage', `${valid}}`],
        ['array', `[${valid}]`],
        ['string', '"x"'],
        ['null', 'null'],
        ['empty', ''],
        ['invalid UTF-8', invalidUtf8Json(valid.slice(0, -1) + ',"x":"', '"}')],
        ['deep nesting', nestedArrays(8000)],
      ];
      for (const [, body] of cases) await expectInvalidRequest(path, body);
    },
  );

  it.each([
    ['an unknown field', { extra: '1' }],
    ['token as a number', { token: '12345' }],
    ['token as null', { token: 'null' }],
    ['amount as an object', { amount: '{"v":1}' }],
    ['amount as a boolean', { amount: 'true' }],
    ['amount as an array', { amount: '[1]' }],
    ['currency as a number', { currency: '840' }],
    ['externalTradeType as a number', { externalTradeType: '5' }],
    ['externalTradeType empty', { externalTradeType: '""' }],
    ['externalTradeId as an object', { externalTradeId: '{"id":1}' }],
    ['externalTradeId as a fraction', { externalTradeId: '1.5' }],
    ['externalTradeId negative', { externalTradeId: '-1' }],
    ['externalTradeId above 2^63', { externalTradeId: '99999999999999999999' }],
    ['externalTradeId empty', { externalTradeId: '""' }],
    ['externalTradeId of 129 characters', { externalTradeId: JSON.stringify('i'.repeat(129)) }],
    ['amount "0"', { amount: '"0"' }],
    ['amount 0', { amount: '0' }],
    ['amount "-0"', { amount: '"-0"' }],
    ['amount "-1"', { amount: '"-1"' }],
    ['amount -5 as a number', { amount: '-5' }],
    ['amount "1e400"', { amount: '"1e400"' }],
    ['amount 1e400 as a number', { amount: '1e400' }],
    ['amount "NaN"', { amount: '"NaN"' }],
    ['amount "1.001" for USD', { amount: '"1.001"' }],
  ])('opentrade with %s is InvalidRequest and moves nothing', async (_name, overrides) => {
    await expectInvalidRequest('/wallet/opentrade', rawObject(tradeFields(overrides as Record<string, string>)));
  });

  it('opentrade without externalTradeId is InvalidRequest', async () => {
    const fields: Record<string, string> = tradeFields();
    delete fields.externalTradeId;
    await expectInvalidRequest('/wallet/opentrade', rawObject(fields));
  });

  it('closetrade with a negative or malformed amount is InvalidRequest and leaves the trade open', async () => {
    const fields = tradeFields({ amount: '"10"' });
    expect((await signedWallet(api, '/wallet/opentrade', rawObject(fields))).body).toMatchObject({ status: 'Ok' });
    for (const amount of ['"-1"', '"-0.01"', '"1.001"', 'false', '"NaN"']) {
      await expectInvalidRequest('/wallet/closetrade', rawObject({ ...fields, amount }));
    }
    expect(await api.account(PLAYER)).toMatchObject({ held: '10.00' });
    expect(
      (await signedWallet(api, '/wallet/closetrade', rawObject({ ...fields, amount: '"10"' }))).body,
    ).toMatchObject({ status: 'Ok' });
    expect(await api.account(PLAYER)).toMatchObject({ held: '0.00', balance: '100.00' });
  });

  it('getbalance and authenticate with unknown fields or wrong types are InvalidRequest', async () => {
    const token = JSON.stringify(walletToken);
    await expectInvalidRequest('/wallet/getbalance', rawObject({ token, currency: '"USD"', extra: '1' }));
    await expectInvalidRequest('/wallet/getbalance', rawObject({ token, currency: '["USD"]' }));
    await expectInvalidRequest('/wallet/getbalance', rawObject({ token, currency: '"USD"', amount: '{}' }));
    await expectInvalidRequest('/wallet/getbalance', rawObject({ token, currency: '"USD"', amount: '"1e400"' }));
    await expectInvalidRequest('/wallet/authenticate', rawObject({ token: '1' }));
    await expectInvalidRequest('/wallet/authenticate', rawObject({ token: '"x"', userId: '5002' }));
  });

  it('answers a body over 16 KiB with HTTP 200 InvalidRequest', async () => {
    for (const path of ['/wallet/authenticate', '/wallet/getbalance', '/wallet/opentrade', '/wallet/closetrade']) {
      const body = rawObject(tradeFields({ data: JSON.stringify('d'.repeat(BODY_LIMIT)) }));
      await expectInvalidRequest(path, body);
    }
  });

  it('answers an unknown wallet path with 404', async () => {
    for (const path of ['/wallet/withdraw', '/wallet/', '/wallet/opentrade/extra', '/wallet/OPENTRADE2']) {
      const before = await stateSnapshot(target.sql);
      const response = await signedWallet(api, path, rawObject(tradeFields()));
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await stateSnapshot(target.sql)).toEqual(before);
    }
    expect((await api.http.request('GET', '/wallet/getbalance', null)).status).toBe(404);
  });

  it('never answers 5xx to a string with a NUL character in data (InvalidRequest, or Ok with the data kept)', async () => {
    const fields = tradeFields({ data: '{"note":"a\\u0000b"}' });
    const before = await stateSnapshot(target.sql);
    const response = await signedWallet(api, '/wallet/opentrade', rawObject(fields));
    expect(response.status).toBe(200);
    const answer = response.body as { status: string };
    expect(['Ok', 'InvalidRequest']).toContain(answer.status);
    if (answer.status === 'InvalidRequest') {
      expect(await stateSnapshot(target.sql)).toEqual(before);
    } else {
      const { rows } = await target.sql.query(`SELECT open_data FROM trades WHERE trade_id = $1`, [
        JSON.parse(fields.externalTradeId),
      ]);
      expect(rows).toEqual([{ open_data: { note: 'a\u0000b' } }]);
    }
  });

  it('never confuses two trade ids that differ only in unpaired surrogate escapes', async () => {
    const first = await signedWallet(
      api,
      '/wallet/opentrade',
      rawObject(tradeFields({ externalTradeId: '"s\\ud800"', amount: '"1"' })),
    );
    const second = await signedWallet(
      api,
      '/wallet/opentrade',
      rawObject(tradeFields({ externalTradeId: '"s\\udbff"', amount: '"2"' })),
    );
    const outcome = [(first.body as { status: string }).status, (second.body as { status: string }).status];
    // either both are refused as unreadable text, or they are two distinct trades
    expect([
      ['InvalidRequest', 'InvalidRequest'],
      ['Ok', 'Ok'],
    ]).toContainEqual(outcome);
    expect(await api.account(PLAYER)).toMatchObject({ held: outcome[0] === 'Ok' ? '3.00' : '0.00' });
  });
});

describe('admin referenceIds with unpaired surrogate escapes', () => {
  it('never swallows a deposit whose referenceId differs from another only in unpaired surrogates', async () => {
    const login = await api.createAccount();
    const first = await rawAdmin(
      api,
      'POST',
      '/admin/balance',
      rawObject({ accountId: String(login), operation: '"add"', amount: '"10"', referenceId: '"dep-\\ud800"' }),
    );
    const second = await rawAdmin(
      api,
      'POST',
      '/admin/balance',
      rawObject({ accountId: String(login), operation: '"add"', amount: '"10"', referenceId: '"dep-\\udbff"' }),
    );
    const outcome = [first.status, second.status];
    // either both are refused as unreadable text, or both deposits are applied
    expect([
      [400, 400],
      [200, 200],
    ]).toContainEqual(outcome);
    expect(await api.account(login)).toMatchObject({ balance: outcome[0] === 200 ? '20.00' : '0.00' });
  });
});

describe('SQL metacharacters are data', () => {
  const NASTY = [
    `'; DROP TABLE accounts; --`,
    `Robert'); DELETE FROM journal_entries WHERE ('1'='1`,
    `" OR ""="`,
    `? ?? :name $1 \\ % _ \\x00 E'\\047'`,
    `a' || pg_sleep(0) || 'b`,
    `ünïcødé 💸 日本`,
  ];

  it('stores an account name verbatim', async () => {
    for (const [index, name] of NASTY.entries()) {
      const login = 7001 + index;
      const response = await api.admin('POST', '/admin/accounts', { login, currency: 'USD', name });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ login, name });
      expect((await api.account(login)).name).toBe(name);
      const { rows } = await target.sql.query(`SELECT name FROM accounts WHERE login = $1`, [login]);
      expect(rows).toEqual([{ name }]);
    }
    const { rows } = await target.sql.query(`SELECT count(*)::int AS n FROM accounts`);
    expect(rows[0].n).toBeGreaterThanOrEqual(NASTY.length + 2);
  });

  it('stores comments and referenceIds verbatim, and referenceIds stay once-only', async () => {
    const login = await api.createAccount();
    for (const [index, text] of NASTY.entries()) {
      const body = {
        accountId: login,
        operation: 'add',
        amount: String(index + 1),
        comment: text,
        referenceId: `${text}#${index}`,
      };
      const response = await api.admin('POST', '/admin/balance', body);
      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: true });
      const replay = await api.admin('POST', '/admin/balance', body);
      expect({ status: replay.status, body: replay.body }).toEqual({ status: 200, body: true });
    }
    expect(await api.account(login)).toMatchObject({ balance: '21.00', version: NASTY.length });
    const page = (await api.admin('GET', `/admin/accounts/${login}/transactions`)).body as {
      items: { comment: string; referenceId: string }[];
    };
    expect(page.items.map((entry) => [entry.comment, entry.referenceId])).toEqual(
      [...NASTY.entries()].reverse().map(([index, text]) => [text, `${text}#${index}`]),
    );
    const { rows } = await target.sql.query(
      `SELECT comment, idempotency_key FROM journal_entries WHERE login = $1 ORDER BY account_version`,
      [login],
    );
    expect(rows).toEqual(NASTY.map((text, index) => ({ comment: text, idempotency_key: `${text}#${index}` })));
    const records = await target.sql.query(`SELECT count(*)::int AS n FROM finance_records WHERE login = $1`, [login]);
    expect(records.rows[0].n).toBe(NASTY.length);
  });

  it('stores trade keys and data verbatim through open and close', async () => {
    const { login, token } = await api.player('100.00');
    for (const [index, text] of NASTY.entries()) {
      const trade = {
        token,
        currency: 'USD',
        externalTradeType: `t${index}${text}`.slice(0, 64),
        externalTradeId: `${text}#${index}`,
        data: { note: text, nested: [text] },
      };
      expect(await api.wallet.call('opentrade', { ...trade, amount: '1' })).toMatchObject({ status: 'Ok' });
      expect(await api.wallet.call('opentrade', { ...trade, amount: '1' })).toMatchObject({ status: 'Ok' }); // replay
      expect(await api.wallet.call('closetrade', { ...trade, amount: '2' })).toMatchObject({ status: 'Ok' });
      const { rows } = await target.sql.query(
        `SELECT trade_type, state, stake_minor::text AS stake, payout_minor::text AS payout, open_data FROM trades WHERE trade_id = $1`,
        [trade.externalTradeId],
      );
      expect(rows).toEqual([
        { trade_type: trade.externalTradeType, state: 'closed', stake: '100', payout: '200', open_data: trade.data },
      ]);
    }
    expect(await api.account(login)).toMatchObject({ balance: `${100 + NASTY.length}.00`, held: '0.00' });
    const { rows } = await target.sql.query(
      `SELECT to_regclass('accounts') IS NOT NULL AS accounts, to_regclass('journal_entries') IS NOT NULL AS journal,
              to_regclass('trades') IS NOT NULL AS trades`,
    );
    expect(rows).toEqual([{ accounts: true, journal: true, trades: true }]);
  });
});
