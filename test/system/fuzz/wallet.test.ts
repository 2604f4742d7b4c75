import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { fieldText, parseJsonObject } from '../../../src/shared/json';
import { signLegacy, signV2 } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { startTestService, TEST_WALLET_SECRET, type TestService } from '../../support/test-service';
import {
  damagedBody,
  goodAmount,
  goodText,
  isJsonObject,
  jsonValueText,
  objectText,
  ref,
  resolveRefs,
  stringText,
  type FieldSpec,
} from './arbitraries';
import {
  brief,
  fuzzHooks,
  checkProperty,
  noteOutcome,
  expectUnchanged,
  rawHttpRequest,
  snapshot,
  timeoutFor,
  type RawHttpResponse,
} from './harness';

/**
 * Property-based fuzzing of the wallet API (docs/wallet-api.md) over real sockets. Every request is either
 * correctly signed (v2 on the raw bytes, or legacy when the body is an object), so that it reaches
 * validation and the engine, or signed wrongly in one specific way. Properties: never a 5xx; every
 * answer is HTTP 200 with a known status; a refused request changes nothing; a wrongly signed one is
 * InvalidDigest. Valid trades run in between, so the properties hold on a ledger in use.
 */

type Who = 'A' | 'B' | 'C' | 'D';
type Action = 'authenticate' | 'getbalance' | 'opentrade' | 'closetrade';

const STATUSES = [
  'Ok',
  'InsufficientFunds',
  'InvalidDigest',
  'InvalidToken',
  'Unauthorized',
  'CurrencyMismatch',
  'InvalidRequest',
  'DuplicateTransaction',
];
const ANSWER_FIELDS = new Set(['status', 'message', 'balance', 'currency', 'walletToken', 'userId']);
const BODY_LIMIT = 16 * 1024;
const SHORT_RUNS = 25;

let target: TestService;
let api: TestApi;
/** A: USD with credit, B: USD, C: BTC, D: USD and disabled. */
const players = {} as Record<Who, { login: number; token: string }>;
const launchTokensOfDisabled: string[] = [];
const usedLaunchTokens: string[] = [];
const consumedNonces: string[] = [];
let unique = 0;

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  players.A = await api.player('1000000.00');
  await api.balanceOperation(players.A.login, 'credit', '500');
  players.B = await api.player('1000000.00');
  players.C = await api.player('10.00', 'BTC');
  players.D = await api.player('100.00');
  for (let i = 0; i < 3; i += 1) launchTokensOfDisabled.push(await api.launchToken(players.D.login));
  for (const who of ['A', 'B'] as const) {
    for (let i = 0; i < 3; i += 1) await openTrade(who, '1.00', `seed-${who}-${i}`);
  }
  await closeTrade('A', '2.00', 'seed-A-0');
  await signedSend(
    'closetrade',
    JSON.stringify({
      token: players.B.token,
      amount: '0',
      currency: 'USD',
      externalTradeType: 'options',
      externalTradeId: 'seed-orphan',
    }),
  );
  const disabled = await api.admin('PATCH', `/admin/accounts/${players.D.login}`, { status: 'disabled' });
  expect(disabled.status).toBe(200);
});
fuzzHooks(
  'wallet',
  () => target,
  async () => {
    api.close();
    await target.stop();
  },
);

function currencyOf(who: Who): string {
  return who === 'C' ? 'BTC' : 'USD';
}

function nonce(): string {
  return randomBytes(16).toString('hex');
}

/** Sends `body` v2-signed over its exact bytes (recording the nonce), plus any extra headers. */
async function signedSend(
  action: Action,
  body: string | Buffer,
  extraHeaders: Record<string, string> = {},
): Promise<RawHttpResponse> {
  const path = `/wallet/${action}`;
  const used = nonce();
  const headers = signV2(TEST_WALLET_SECRET, 'POST', path, body, Math.floor(Date.now() / 1000), used);
  const response = await rawHttpRequest(target.service.httpPort, 'POST', path, body, {
    'Content-Type': 'application/json',
    ...headers,
    ...extraHeaders,
  });
  if ((response.body as { status?: unknown }).status === 'Ok') consumedNonces.push(used);
  if (consumedNonces.length > 200) consumedNonces.splice(0, 100);
  return response;
}

/** Sends with a legacy `hash` (MD5 of the canonical fields + secret) inserted into the object text. */
async function legacySend(action: Action, body: string): Promise<RawHttpResponse> {
  const fields = parseJsonObject(Buffer.from(body));
  const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, fieldText(value)]));
  const hash = signLegacy(TEST_WALLET_SECRET, texts);
  const open = body.indexOf('{');
  const empty = Object.keys(fields).length === 0;
  const signed = `${body.slice(0, open + 1)}"hash":"${hash}"${empty ? '' : ','}${body.slice(open + 1)}`;
  return rawHttpRequest(target.service.httpPort, 'POST', `/wallet/${action}`, signed, {
    'Content-Type': 'application/json',
  });
}

async function openTrade(who: Who, amount: string, id: string): Promise<string> {
  const { token } = players[who];
  const response = await signedSend(
    'opentrade',
    JSON.stringify({ token, amount, currency: currencyOf(who), externalTradeType: 'options', externalTradeId: id }),
  );
  return (response.body as { status: string }).status;
}

async function closeTrade(who: Who, amount: string, id: string, type = 'options'): Promise<string> {
  const { token } = players[who];
  const response = await signedSend(
    'closetrade',
    JSON.stringify({ token, amount, currency: currencyOf(who), externalTradeType: type, externalTradeId: id }),
  );
  return (response.body as { status: string }).status;
}

/** The n-th trade (modulo their count) in a state, of a player or anyone. */
async function pickTrade(
  state: string,
  who: Who | 'any',
  n: number,
): Promise<{ trade_type: string; trade_id: string } | undefined> {
  const { rows } = await target.sql.query(
    `SELECT trade_type, trade_id FROM (
       SELECT trade_type, trade_id, row_number() OVER (ORDER BY order_no) - 1 AS rn, count(*) OVER () AS total
         FROM trades WHERE ($1 = 'any' OR state = $1) AND ($2::bigint IS NULL OR login = $2)) t
      WHERE rn = $3::bigint % total`,
    [state, who === 'any' ? null : players[who].login, n],
  );
  return rows[0];
}

const tradeCache = new Map<string, { trade_type: string; trade_id: string } | undefined>();

/** Resolves the references of generated bodies (see arbitraries.ts). */
async function resolve(name: string): Promise<string> {
  const [kind, ...rest] = name.split(':');
  switch (kind) {
    case 'token':
      return JSON.stringify(players[rest[0] as Who].token);
    case 'launch': {
      if (rest[0] === 'fresh') return JSON.stringify(await api.launchToken(players[rest[1] === 'B' ? 'B' : 'A'].login));
      if (rest[0] === 'disabled')
        return JSON.stringify(launchTokensOfDisabled.pop() ?? randomBytes(32).toString('hex'));
      return JSON.stringify(usedLaunchTokens[Number(rest[1]) % Math.max(usedLaunchTokens.length, 1)] ?? 'never-issued');
    }
    case 'fresh':
      unique += 1;
      return JSON.stringify(`fz-${unique}`);
    case 'trade': {
      // trade:<state>:<who>:<n>:<type|id>
      const [state, who, n, part] = rest as [string, Who | 'any', string, 'type' | 'id'];
      const key = `${state}:${who}:${n}`;
      if (!tradeCache.has(key)) tradeCache.set(key, await pickTrade(state, who, Number(n)));
      const trade = tradeCache.get(key);
      if (!trade) return JSON.stringify(part === 'type' ? 'options' : `fz-none-${++unique}`);
      return JSON.stringify(part === 'type' ? trade.trade_type : trade.trade_id);
    }
    default:
      throw new Error(`unknown reference ${name}`);
  }
}

async function resolveBody<T extends string | Buffer>(body: T): Promise<T> {
  tradeCache.clear();
  return resolveRefs(body, resolve);
}

// ---------------------------------------------------------------------------------------------
// Generators

const walletToken = fc.oneof(
  { weight: 6, arbitrary: fc.constant(ref('token:A')) },
  { weight: 2, arbitrary: fc.constantFrom(ref('token:B'), ref('token:C'), ref('token:D')) },
  { weight: 1, arbitrary: stringText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(ref('launch:fresh:A'), JSON.stringify('f'.repeat(64)), JSON.stringify('0'.repeat(64))),
  },
);
const currency = fc.oneof(
  { weight: 8, arbitrary: fc.constant('"USD"') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('"BTC"', '"EUR"', '"JPY"', '"USDT"', '"XYZ"', '"usd"', '"USDUSD"', '"\\u0055SD"'),
  },
);
const tradeType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('"options"', '"tap"') },
  { weight: 1, arbitrary: stringText },
);
const tradeData = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: jsonValueText },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 14, max: 20 }).map((depth) => `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`),
  },
);
const hashField: FieldSpec = { name: 'hash', good: goodText, optional: true };

/** The trade key: a fresh one, one of an existing trade (open, closed, orphan; of anyone), or anything. */
const tradeKey = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ type: tradeType, id: fc.constant(ref('fresh:id')) }) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('open', 'closed', 'orphan_closed', 'any'),
        fc.constantFrom<Who | 'any'>('A', 'A', 'B', 'C', 'D', 'any'),
        fc.nat(1000),
      )
      .map(([state, who, n]) => ({
        type: fc.constant(ref(`trade:${state}:${who}:${n}:type`)),
        id: fc.constant(ref(`trade:${state}:${who}:${n}:id`)),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      type: tradeType,
      id: fc.oneof(stringText, fc.bigInt({ min: -1n, max: 2n ** 64n }).map(String)),
    }),
  },
);

function bodyFor(action: Action): fc.Arbitrary<string> {
  switch (action) {
    case 'authenticate':
      return objectText([
        {
          name: 'token',
          good: fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(ref('launch:fresh:A'), ref('launch:fresh:B')) },
            { weight: 1, arbitrary: fc.nat().map((n) => ref(`launch:used:${n}`)) },
            { weight: 1, arbitrary: fc.constantFrom(ref('launch:disabled'), ref('token:A')) },
          ),
        },
        hashField,
      ]);
    case 'getbalance':
      return objectText([
        { name: 'token', good: walletToken },
        { name: 'currency', good: currency },
        { name: 'amount', good: goodAmount(200_000_000), optional: true },
        hashField,
      ]);
    default:
      return tradeKey.chain((key) =>
        objectText([
          { name: 'token', good: walletToken },
          { name: 'amount', good: action === 'closetrade' ? goodAmount(100_000, 0) : goodAmount(50_000) },
          { name: 'currency', good: currency },
          { name: 'externalTradeType', good: key.type },
          { name: 'externalTradeId', good: key.id },
          { name: 'data', good: tradeData, optional: true },
          hashField,
        ]),
      );
  }
}

/** A valid request of the platform (or a deposit), run before the fuzzed one. */
const validStep = fc.record({
  kind: fc.constantFrom('deposit', 'credit', 'open', 'open', 'close', 'close', 'balance', 'orphan'),
  who: fc.constantFrom<Who>('A', 'A', 'B', 'C'),
  cents: fc.integer({ min: 1, max: 50_000 }),
  pick: fc.nat(1000),
});
type ValidStep = typeof validStep extends fc.Arbitrary<infer T> ? T : never;

async function runValid(step: ValidStep): Promise<void> {
  const amount = (step.cents / 100).toFixed(2);
  const { login, token } = players[step.who];
  let outcome: unknown;
  switch (step.kind) {
    case 'deposit':
    case 'credit': {
      const response = await api.balanceOperation(login, step.kind === 'deposit' ? 'add' : 'credit', amount);
      outcome = response.status === 200 ? 'Ok' : response.text;
      break;
    }
    case 'open':
      outcome = await openTrade(step.who, amount, `fz-${++unique}`);
      if (outcome === 'InsufficientFunds') outcome = 'Ok';
      break;
    case 'close': {
      const trade = await pickTrade('open', step.who, step.pick);
      outcome = trade ? await closeTrade(step.who, amount, trade.trade_id, trade.trade_type) : 'Ok';
      break;
    }
    case 'orphan':
      outcome = await closeTrade(step.who, amount, `fz-${++unique}`);
      break;
    default: {
      const response = await signedSend('getbalance', JSON.stringify({ token, currency: currencyOf(step.who) }));
      outcome = (response.body as { status: string }).status;
    }
  }
  if (outcome !== 'Ok') throw new Error(`valid step ${JSON.stringify(step)} answered ${JSON.stringify(outcome)}`);
}

/** The answer is HTTP 200 with a known status and sane fields (a balance is never negative). */
function checkAnswer(response: RawHttpResponse, context: unknown): string {
  const answer = response.body as Record<string, unknown>;
  const fine =
    response.status === 200 &&
    typeof answer === 'object' &&
    answer !== null &&
    STATUSES.includes(String(answer.status)) &&
    Object.keys(answer).every((key) => ANSWER_FIELDS.has(key)) &&
    (answer.balance === undefined || /^\d+(\.\d+)?$/.test(String(answer.balance)));
  if (!fine) throw new Error(`unexpected answer HTTP ${response.status} ${response.text}\n request ${brief(context)}`);
  return String(answer.status);
}

// ---------------------------------------------------------------------------------------------
// Properties

const ACTIONS: Action[] = ['authenticate', 'getbalance', 'opentrade', 'closetrade'];

describe.each(ACTIONS)('/wallet/%s', (action) => {
  it(
    'signed requests with arbitrary bodies: never 5xx, a known status, a refusal changes nothing',
    async () => {
      const property = fc.asyncProperty(
        fc.option(validStep, { freq: 2 }),
        damagedBody(bodyFor(action)),
        fc.constantFrom('v2', 'v2', 'v2', 'legacy'),
        fc.option(
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
            'multipart/form-data; boundary=x',
            '',
          ),
          { freq: 6 },
        ),
        async (valid, generated, scheme, contentType) => {
          if (valid) await runValid(valid);
          const body = await resolveBody(generated);
          const legacy =
            scheme === 'legacy' &&
            typeof body === 'string' &&
            isJsonObject(body) &&
            !('hash' in parseJsonObject(Buffer.from(body)));
          const before = await snapshot(target.sql);
          const response = legacy
            ? await legacySend(action, body)
            : await signedSend(action, body, contentType === null ? {} : { 'Content-Type': contentType });
          const context = { action, body, legacy, answer: response.text };
          const status = checkAnswer(response, context);
          noteOutcome(legacy ? `legacy ${status}` : status);
          if (process.env.FUZZ_DEBUG) console.log(String(body).slice(0, 300), response.text.slice(0, 200));
          if (!legacy && !isJsonObject(body) && status !== 'InvalidRequest')
            throw new Error(`a signed body that is not a JSON object answered ${status}: ${brief(context)}`);
          if (status === 'Ok' && action === 'authenticate') {
            usedLaunchTokens.push(String(parseJsonObject(Buffer.from(body)).token));
          }
          if (status !== 'Ok')
            expectUnchanged(before, await snapshot(target.sql), status === 'DuplicateTransaction', context);
        },
      );
      await checkProperty(`wallet ${action} signed`, property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );

  it(
    'wrongly signed requests are InvalidDigest and change nothing',
    async () => {
      const property = fc.asyncProperty(
        fc.option(validStep, { freq: 2 }),
        bodyFor(action),
        breakage,
        async (valid, generated, broken) => {
          if (valid) await runValid(valid);
          const body = await resolveBody(generated);
          const { headers, sent } = brokenRequest(action, body, broken);
          const before = await snapshot(target.sql);
          const response = await rawHttpRequest(target.service.httpPort, 'POST', `/wallet/${action}`, sent, {
            'Content-Type': 'application/json',
            ...headers,
          });
          const context = { action, broken, headers, body: sent, answer: response.text };
          const status = checkAnswer(response, context);
          noteOutcome(status);
          const allowed =
            broken.kind === 'replay'
              ? STATUSES.filter((s) => s !== 'Ok')
              : Buffer.byteLength(sent) > BODY_LIMIT
                ? ['InvalidDigest', 'InvalidRequest']
                : ['InvalidDigest'];
          if (!allowed.includes(status))
            throw new Error(`a wrongly signed request answered ${status}: ${brief(context)}`);
          expectUnchanged(before, await snapshot(target.sql), false, context);
        },
      );
      await checkProperty(`wallet ${action} broken signature`, property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});

const SIGNED_HEADERS = ['X-Sig-Version', 'X-Timestamp', 'X-Nonce', 'X-Signature'] as const;

/** One way of signing wrongly, each certain to break the signature. */
const breakage = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), headers: fc.subarray([...SIGNED_HEADERS], { minLength: 1 }) }),
  fc.record({
    kind: fc.constant('version' as const),
    value: fc.constantFrom('v1', 'V2', 'v2 x', 'v3', '', '2', 'v2,v2', 'legacy', 'v2x'),
  }),
  fc.record({
    kind: fc.constant('timestamp' as const),
    offset: fc.oneof(fc.integer({ min: 65, max: 10_000_000 }), fc.integer({ min: -10_000_000, max: -65 })),
    text: fc.option(
      fc.constantFrom('', '-1', '1e9', '0x10', '+1', '12345678901234', '1.5', 'now', '00000000000000000001'),
      { freq: 2 },
    ),
  }),
  fc.record({
    kind: fc.constant('nonce' as const),
    value: fc.oneof(
      fc.constantFrom('', '0'.repeat(31), '0'.repeat(33), '0'.repeat(64), 'g'.repeat(32), `${'0'.repeat(31)} `),
      fc.stringMatching(/^[0-9A-F]{32}$/).filter((value) => /[A-F]/.test(value)),
      fc.stringMatching(/^[0-9a-z]{1,40}$/).filter((value) => !/^[0-9a-f]{32}$/.test(value)),
    ),
  }),
  fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('signature' as const),
    how: fc.constantFrom(
      'flip',
      'upper',
      'truncate',
      'extend',
      'wrongSecret',
      'otherPath',
      'otherBody',
      'otherMethod',
      'otherTimestamp',
      'otherNonce',
      'empty',
      'random',
      'secretPrefix',
    ),
    at: fc.nat(63),
  }),
  fc.record({
    kind: fc.constant('legacy' as const),
    hash: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => JSON.stringify(h)),
      fc.constantFrom('null', '1', '""', '["x"]', '{"md5":"x"}'),
      stringText,
    ),
    wrongSecret: fc.boolean(),
  }),
);
type Breakage = typeof breakage extends fc.Arbitrary<infer T> ? T : never;

/** The headers and body of a request signed wrongly in the given way. */
function brokenRequest(
  action: Action,
  body: string,
  broken: Breakage,
): { headers: Record<string, string>; sent: string } {
  const path = `/wallet/${action}`;
  const now = Math.floor(Date.now() / 1000);
  const good = signV2(TEST_WALLET_SECRET, 'POST', path, body, now, nonce()) as Record<string, string>;
  switch (broken.kind) {
    case 'drop': {
      const headers = { ...good };
      for (const name of broken.headers) delete headers[name];
      return { headers, sent: body };
    }
    case 'version':
      return { headers: { ...good, 'X-Sig-Version': broken.value }, sent: body };
    case 'timestamp': {
      if (broken.text !== null) return { headers: { ...good, 'X-Timestamp': broken.text }, sent: body };
      return { headers: signV2(TEST_WALLET_SECRET, 'POST', path, body, now + broken.offset, nonce()), sent: body };
    }
    case 'nonce':
      return { headers: signV2(TEST_WALLET_SECRET, 'POST', path, body, now, broken.value), sent: body };
    case 'replay': {
      const used = consumedNonces[broken.pick % Math.max(consumedNonces.length, 1)];
      if (!used) throw new Error('no consumed nonce yet');
      return { headers: signV2(TEST_WALLET_SECRET, 'POST', path, body, now, used), sent: body };
    }
    case 'signature': {
      const signature = good['X-Signature']!;
      const replaced = (value: string) => ({ headers: { ...good, 'X-Signature': value }, sent: body });
      const other = (headers: Record<string, string>) => ({
        headers: { ...good, 'X-Signature': headers['X-Signature']! },
        sent: body,
      });
      switch (broken.how) {
        case 'flip': {
          const char = signature[broken.at]!;
          const flipped = ((parseInt(char, 16) + 1) % 16).toString(16);
          return replaced(signature.slice(0, broken.at) + flipped + signature.slice(broken.at + 1));
        }
        case 'upper':
          return replaced(/[a-f]/.test(signature) ? signature.toUpperCase() : `${signature.slice(1)}A`);
        case 'truncate':
          return replaced(signature.slice(0, broken.at));
        case 'extend':
          return replaced(`${signature}0`);
        case 'wrongSecret':
          return other(signV2(`${TEST_WALLET_SECRET}x`, 'POST', path, body, now, good['X-Nonce']!));
        case 'secretPrefix':
          return other(signV2(TEST_WALLET_SECRET.slice(0, -1), 'POST', path, body, now, good['X-Nonce']!));
        case 'otherPath':
          return other(
            signV2(
              TEST_WALLET_SECRET,
              'POST',
              action === 'getbalance' ? '/wallet/opentrade' : '/wallet/getbalance',
              body,
              now,
              good['X-Nonce']!,
            ),
          );
        case 'otherBody':
          return { headers: good, sent: `${body} ` };
        case 'otherMethod':
          return other(signV2(TEST_WALLET_SECRET, 'PUT', path, body, now, good['X-Nonce']!));
        case 'otherTimestamp':
          return { headers: { ...good, 'X-Timestamp': String(now - 1) }, sent: body };
        case 'otherNonce':
          return { headers: { ...good, 'X-Nonce': nonce() }, sent: body };
        case 'empty':
          return replaced('');
        default:
          return replaced(randomBytes(32).toString('hex'));
      }
    }
    default: {
      // legacy: no v2 headers, a hash field that is wrong (or right for another secret)
      let hashText = broken.hash;
      if (broken.wrongSecret && isJsonObject(body)) {
        const fields = parseJsonObject(Buffer.from(body));
        const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, fieldText(value)]));
        hashText = JSON.stringify(signLegacy(`${TEST_WALLET_SECRET}x`, texts));
      }
      const open = body.indexOf('{');
      const sent =
        open === -1
          ? body
          : `${body.slice(0, open + 1)}"hash":${hashText}${/^\s*\}/.test(body.slice(open + 1)) ? '' : ','}${body.slice(open + 1)}`;
      return { headers: {}, sent };
    }
  }
}

describe('the wallet fuzz generators', () => {
  it('reach every status of docs/wallet-api.md#statuses except InvalidDigest on signed requests (a sanity check of the generators)', async () => {
    const seen = new Set<string>();
    const samples = fc.sample(
      fc
        .tuple(fc.constantFrom<Action>('getbalance', 'opentrade', 'closetrade'), fc.constant(null))
        .chain(([action]) => fc.tuple(fc.constant(action), bodyFor(action))),
      { numRuns: 150, seed: 7 },
    );
    for (const [action, generated] of samples) {
      const response = await signedSend(action, await resolveBody(generated));
      seen.add(String((response.body as { status: string }).status));
    }
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'CurrencyMismatch',
        'DuplicateTransaction',
        'InvalidRequest',
        'InvalidToken',
        'Ok',
        'Unauthorized',
      ]),
    );
  });
});
