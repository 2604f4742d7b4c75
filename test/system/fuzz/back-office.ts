import fc from 'fast-check';
import { TestApi } from '../../support/api';
import {
  startTestService,
  TEST_ADMIN_KEY,
  TEST_OPERATOR_KEY,
  UNTHROTTLED,
  type TestService,
} from '../../support/test-service';
import {
  anyString,
  damagedBody,
  goodAmount,
  goodText,
  numberText,
  objectText,
  percentEncode,
  queryString,
  ref,
  resolveRefs,
  sometimes,
  urlText,
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
 * The back office's HTTP APIs under fuzzing (shared by admin.test.ts and reports.test.ts, each on
 * its own service and database): the set-up, the references resolved at send time, the generators
 * of every endpoint, the valid operations run in between, and the property every endpoint is held
 * to: never a 5xx; a refused request (4xx) changes nothing; a request without the right bearer key
 * is 401.
 */

export const SHORT_RUNS = 20;

/** The service under test and its clients (set in beforeAll). */
export const ctx = {} as { target: TestService; api: TestApi };
export const logins: Record<'A' | 'B' | 'D' | 'P' | 'J', number> = { A: 0, B: 0, D: 0, P: 0, J: 0 };
let unique = 0;

/** Starts the service and the accounts the generators refer to; checks the ledger after each property. */
export function setUpBackOffice(file: string, seedSteps = 0): void {
  beforeAll(async () => {
    ctx.target = await startTestService({}, undefined, { throttleLimits: UNTHROTTLED });
    ctx.api = new TestApi(ctx.target);
    await seedAccounts();
    // a ledger in use: valid operations before the first case
    if (seedSteps > 0) for (const step of fc.sample(validStep, { numRuns: seedSteps, seed: 1 })) await runValid(step);
  });
  fuzzHooks(
    file,
    () => ctx.target,
    async () => {
      ctx.api.close();
      await ctx.target.stop();
    },
  );
}

async function seedAccounts(): Promise<void> {
  const { api } = ctx;
  logins.A = (await api.player('100000.00')).login;
  logins.B = (await api.player('50.00')).login;
  logins.J = await api.createAccount('JPY');
  await api.deposit(logins.J, '1000');
  logins.P = await api.createAccount('USD');
  logins.D = await api.createAccount('USD');
  await api.balanceOperation(logins.A, 'add', '10', 'seed-ref-1');
  await api.balanceOperation(logins.B, 'credit', '5', 'seed-ref-2');
  await api.admin('PATCH', `/admin/accounts/${logins.D}`, { status: 'disabled' });
  await api.admin('POST', '/admin/managers', {
    login: 800_001,
    password: 'manager-password-1',
    role: 'SESSION_MANAGER',
  });
}

// ---------------------------------------------------------------------------------------------
// References resolved at send time

async function pickReference(n: number): Promise<string> {
  const { rows } = await ctx.target.sql.query(
    `SELECT key FROM (SELECT key, row_number() OVER (ORDER BY key) - 1 AS rn, count(*) OVER () AS total FROM idempotency_keys WHERE scope = 'admin') k
      WHERE rn = $1::bigint % total`,
    [n],
  );
  return rows[0]?.key ?? 'seed-ref-1';
}

export async function resolve(name: string): Promise<string> {
  const [kind, what, n] = name.split(':');
  switch (kind) {
    case 'login':
      if (what === 'fresh') return String(700_000 + ++unique);
      if (what === 'unknown') return String(900_000_000 + ++unique);
      return String(logins[what as keyof typeof logins]);
    case 'manager':
      return what === 'fresh' ? String(810_000 + ++unique) : '800001';
    case 'reference':
      return JSON.stringify(what === 'fresh' ? `fz-ref-${++unique}` : await pickReference(Number(n)));
    case 'cursor': {
      const page = await ctx.api.admin('GET', `/admin/accounts/${logins.A}/transactions?limit=${1 + (Number(n) % 3)}`);
      return percentEncode(String((page.body as { nextCursor: string | null }).nextCursor ?? ''));
    }
    default:
      throw new Error(`unknown reference ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const accountLogin = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(ref('login:A'), ref('login:B'), ref('login:J'), ref('login:P')) },
  { weight: 2, arbitrary: fc.constantFrom(ref('login:D'), ref('login:unknown')) },
);
const day = fc.date({
  min: new Date('2020-01-01T00:00:00Z'),
  max: new Date('2031-12-31T00:00:00Z'),
  noInvalidDate: true,
});
const dateText = fc
  .oneof(
    { weight: 4, arbitrary: day.map((date) => date.toISOString().slice(0, 10)) },
    { weight: 2, arbitrary: day.map((date) => date.toISOString()) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '0000-01-01',
        '0001-01-01',
        '9999-12-31',
        '1970-01-01',
        '2026-02-30',
        '2026-13-01',
        '2026-00-10',
        '2026-01-01T25:00:00Z',
        '2026-01-01T00:00:00+99:99',
        '2026-01-01 00:00',
        '2026-01-01T1:2:3',
        '2026-11-01T00:00:00.123456789Z',
        '2026-01-01T::::Z',
        '2026-01-01T00:00:00-1200',
        '1969-12-31T23:59:59Z',
        '2026-1-1',
        '26-01-01',
        'today',
        '',
      ),
    },
  )
  .map(percentEncode);
const periodQuery = { from: dateText, to: dateText };
const format = fc.constantFrom('json', 'csv', 'JSON', 'xml', '');

const adminAuth = fc.oneof(
  { weight: 15, arbitrary: fc.constant(`Bearer ${TEST_ADMIN_KEY}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `Bearer ${TEST_OPERATOR_KEY}`,
      `bearer ${TEST_ADMIN_KEY}`,
      `Bearer  ${TEST_ADMIN_KEY}`,
      `Bearer ${TEST_ADMIN_KEY}x`,
      `Bearer ${TEST_ADMIN_KEY.slice(1)}`,
      'Bearer',
      '',
      `Basic ${Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64')}`,
      `Bearer ${'a'.repeat(600)}`,
      `Bearer ${TEST_ADMIN_KEY},Bearer x`,
      'none',
    ),
  },
);

/** One endpoint under test: how to build its path, query and body. */
interface Endpoint {
  name: string;
  method: string;
  /** Path with references; may include generated segments. */
  path: fc.Arbitrary<string>;
  query?: fc.Arbitrary<string>;
  body?: fc.Arbitrary<string | Buffer>;
  contentType?: string;
  auth: fc.Arbitrary<string>;
  validKey: string;
  /** Statuses of success besides 200. */
  created?: boolean;
}

const loginSegment = fc.oneof(
  { weight: 6, arbitrary: accountLogin },
  { weight: 2, arbitrary: urlText },
  { weight: 1, arbitrary: numberText.map(percentEncode) },
);
const comment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"deposit"', '"bonus"', '"Payment gateway deposit"') },
  { weight: 2, arbitrary: goodText },
);
const csvCell = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'seed-ref-1',
      'seed-ref-2',
      'fz-ref-1',
      '10',
      '10.00',
      '5',
      'USD',
      'JPY',
      'usd',
      'BTC',
      '2026-11-01',
      '',
    ),
  },
  { weight: 2, arbitrary: numberText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '-271821-04-20',
      '+275760-09-13',
      '0000-01-01',
      '-000001-01-01',
      '+010000-01-01',
      '1 BC',
      '9999-12-31T23:59:59Z',
      '2026-02-30',
      'Sat, 01 Jan 2000 00:00:00 GMT',
      '1e400',
    ),
  },
  { weight: 2, arbitrary: anyString },
);
/** A row of the default columns that reads well, but for its date (sometimes at the ends of time). */
const csvRow = fc
  .tuple(
    fc.constantFrom('seed-ref-1', 'seed-ref-2', 'fz-ref-1', 'fz-ref-2', 'other'),
    fc.constantFrom('10', '10.00', '5', '-5', '0.01', '1e2'),
    fc.constantFrom('USD', 'usd', 'JPY'),
    fc.oneof(
      { weight: 3, arbitrary: day.map((date) => date.toISOString()) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '-271821-04-20',
          '+275760-09-13',
          '-271821-04-20T00:00:00Z',
          '+275760-09-13T00:00:00Z',
          '0000-01-01',
          '-000001-01-01',
          '+010000-01-01',
          '-004713-11-24',
          '1',
          '0',
          '99999',
        ),
      },
      { weight: 1, arbitrary: fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()) },
    ),
  )
  .map((cells) => [...cells]);
function csvQuote(cell: string, quoting: number): string {
  if (quoting === 0) return cell;
  if (quoting === 1) return `"${cell.replace(/"/g, '""')}"`;
  return `"${cell}`;
}
const csvBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        header: fc.oneof(
          fc.constant<string[]>(['reference', 'amount', 'currency', 'date']),
          fc.array(fc.oneof(fc.constantFrom('reference', 'amount', 'currency', 'date', 'ref', 'value'), anyString), {
            maxLength: 5,
          }),
        ),
        rows: fc.array(fc.oneof(fc.array(csvCell, { maxLength: 5 }), csvRow), { maxLength: 6 }),
        quoting: fc.array(fc.nat(8), { maxLength: 30 }),
        newline: fc.constantFrom('\n', '\r\n', '\r'),
        separator: fc.constantFrom(',', ',', ';', '\t'),
        bom: fc.boolean(),
      })
      .map(({ header, rows, quoting, newline, separator, bom }) => {
        let q = 0;
        const line = (cells: string[]) =>
          cells
            .map((cell) => csvQuote(cell, Math.min(quoting[q++ % Math.max(quoting.length, 1)] ?? 0, 2)))
            .join(separator);
        return `${bom ? '\ufeff' : ''}${[line(header), ...rows.map(line)].join(newline)}${newline}`;
      }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant('') },
);

export const ENDPOINTS: Endpoint[] = [
  {
    name: 'POST /operator/launch-tokens',
    method: 'POST',
    path: fc.constant('/operator/launch-tokens'),
    body: damagedBody(objectText([{ name: 'login', good: accountLogin }])),
    auth: fc.oneof(
      { weight: 10, arbitrary: fc.constant(`Bearer ${TEST_OPERATOR_KEY}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(`Bearer ${TEST_ADMIN_KEY}`, 'Bearer', '', `Bearer ${TEST_OPERATOR_KEY}0`),
      },
    ),
    validKey: TEST_OPERATOR_KEY,
    created: true,
  },
  {
    name: 'POST /admin/accounts',
    method: 'POST',
    path: fc.constant('/admin/accounts'),
    body: damagedBody(
      objectText([
        {
          name: 'login',
          good: fc.oneof(
            { weight: 4, arbitrary: fc.constant(ref('login:fresh')) },
            { weight: 1, arbitrary: accountLogin },
          ),
        },
        { name: 'currency', good: fc.constantFrom('"USD"', '"EUR"', '"GBP"', '"JPY"', '"USDT"', '"BTC"') },
        { name: 'name', good: goodText, optional: true },
      ]),
    ),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
    created: true,
  },
  {
    name: 'GET /admin/accounts/:login',
    method: 'GET',
    path: loginSegment.map((login) => `/admin/accounts/${login}`),
    query: queryString({}),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'PATCH /admin/accounts/:login',
    method: 'PATCH',
    // only P changes status: the valid steps need A, B and J active
    path: fc
      .oneof(
        { weight: 4, arbitrary: fc.constant(ref('login:P')) },
        { weight: 1, arbitrary: fc.constantFrom(ref('login:D'), ref('login:unknown')) },
        { weight: 1, arbitrary: urlText },
      )
      .map((login) => `/admin/accounts/${login}`),
    body: damagedBody(objectText([{ name: 'status', good: fc.constantFrom('"active"', '"disabled"') }])),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'POST /admin/balance',
    method: 'POST',
    path: fc.constant('/admin/balance'),
    body: damagedBody(
      objectText([
        { name: 'accountId', good: accountLogin },
        {
          name: 'operation',
          good: fc.constantFrom('"add"', '"sub"', '"credit"', '"debit"', '"swap"', '"commission"', '"adjustment"'),
        },
        {
          name: 'amount',
          good: fc.oneof(
            goodAmount(1_000_000),
            goodAmount(1_000_000).map((text) => (text.startsWith('"') ? `"-${text.slice(1)}` : `-${text}`)),
          ),
        },
        { name: 'comment', good: comment, optional: true },
        {
          name: 'referenceId',
          good: fc.oneof(
            fc.constant(ref('reference:fresh')),
            fc.nat().map((n) => ref(`reference:old:${n}`)),
          ),
          optional: true,
        },
      ]),
    ),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'GET /admin/accounts/:login/transactions',
    method: 'GET',
    path: loginSegment.map((login) => `/admin/accounts/${login}/transactions`),
    query: queryString({
      limit: fc.oneof(fc.integer({ min: 1, max: 500 }).map(String), numberText.map(percentEncode)),
      cursor: fc.oneof(
        fc.nat().map((n) => ref(`cursor:A:${n}`)),
        urlText,
      ),
    }),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'POST /admin/managers',
    method: 'POST',
    path: fc.constant('/admin/managers'),
    body: damagedBody(
      objectText([
        {
          name: 'login',
          good: fc.oneof(
            { weight: 3, arbitrary: fc.constant(ref('manager:fresh')) },
            { weight: 1, arbitrary: fc.constant(ref('manager:old')) },
          ),
        },
        { name: 'password', good: fc.oneof(fc.constant('"manager-password-2"'), goodText) },
        {
          name: 'role',
          good: fc.constantFrom('"SESSION_ADMIN"', '"SESSION_MANAGER"', '"SESSION_DEALER"', '"SESSION_VIEWER"'),
        },
      ]),
    ),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
    created: true,
  },
  {
    name: 'GET /admin/reconciliation',
    method: 'GET',
    path: fc.constant('/admin/reconciliation'),
    query: queryString({
      ...periodQuery,
      staleHoldAgeS: fc.oneof(fc.integer({ min: 0, max: 400_000_000 }).map(String), numberText.map(percentEncode)),
    }),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'GET /admin/reports/daily-totals',
    method: 'GET',
    path: fc.constant('/admin/reports/daily-totals'),
    query: queryString({ ...periodQuery, format }),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'GET /admin/accounts/:login/statement',
    method: 'GET',
    path: loginSegment.map((login) => `/admin/accounts/${login}/statement`),
    query: queryString({ ...periodQuery, format }),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'GET /admin/ledger/export',
    method: 'GET',
    path: fc.constant('/admin/ledger/export'),
    query: queryString(periodQuery),
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
  {
    name: 'POST /admin/reconciliation/match',
    method: 'POST',
    path: fc.constant('/admin/reconciliation/match'),
    query: queryString({
      ...periodQuery,
      side: fc.constantFrom('finance-records', 'trades', 'both'),
      dryRun: fc.constantFrom('true', 'false', 'yes', ''),
      driftMinor: fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), numberText.map(percentEncode)),
      referenceColumn: fc.oneof(fc.constantFrom('reference', 'ref'), urlText),
      amountColumn: fc.oneof(fc.constantFrom('amount', 'value'), urlText),
      currencyColumn: urlText,
      dateColumn: urlText,
    }),
    body: csvBody,
    contentType: 'text/csv',
    auth: adminAuth,
    validKey: TEST_ADMIN_KEY,
  },
];

/** A valid back-office operation, run before the fuzzed request. */
export const validStep = fc.record({
  kind: fc.constantFrom('add', 'credit', 'sub', 'adjustment', 'account', 'launch', 'status', 'reference'),
  who: fc.constantFrom<'A' | 'B' | 'J'>('A', 'B', 'J'),
  amount: fc.integer({ min: 1, max: 100_000 }),
  flag: fc.boolean(),
});
type ValidStep = typeof validStep extends fc.Arbitrary<infer T> ? T : never;

async function runValid(step: ValidStep): Promise<void> {
  const { api } = ctx;
  const login = logins[step.who];
  const amount = step.who === 'J' ? String(step.amount) : (step.amount / 100).toFixed(2);
  let response: { status: number; text: string };
  switch (step.kind) {
    case 'account':
      response = await api.admin('POST', '/admin/accounts', {
        login: 700_000 + ++unique,
        currency: step.flag ? 'USD' : 'BTC',
        name: `fuzz ${unique}`,
      });
      break;
    case 'launch':
      response = await api.operator('POST', '/operator/launch-tokens', { login });
      break;
    case 'status':
      response = await api.admin('PATCH', `/admin/accounts/${logins.P}`, { status: step.flag ? 'active' : 'disabled' });
      break;
    case 'reference':
      response = await api.balanceOperation(login, 'add', amount, `fz-ref-${++unique}`);
      break;
    case 'adjustment':
      response = await api.balanceOperation(login, 'adjustment', step.flag ? amount : `-${amount}`);
      break;
    default:
      response = await api.balanceOperation(login, step.kind, amount);
  }
  const fine =
    response.status === 200 ||
    response.status === 201 ||
    (response.status === 422 && (step.kind === 'sub' || step.kind === 'adjustment'));
  if (!fine) throw new Error(`valid step ${JSON.stringify(step)} answered ${response.status} ${response.text}`);
}

export function expectNo5xx(response: RawHttpResponse, context: unknown): void {
  if (response.status >= 500 || response.status < 100)
    throw new Error(`answered ${response.status} ${response.text.slice(0, 500)}\n request ${brief(context)}`);
}

/** The property of every endpoint named, with a valid operation before a case with probability `validShare`. */
export function describeEndpoints(names: readonly string[], validShare: number): void {
  const endpoints = ENDPOINTS.filter((endpoint) => names.includes(endpoint.name));
  if (endpoints.length !== names.length) throw new Error(`unknown endpoints among ${names.join(', ')}`);
  describe.each(endpoints.map((endpoint) => [endpoint.name, endpoint] as const))('%s', (_name, endpoint) => {
    it(
      'never answers 5xx; a refusal changes nothing; a wrong key is 401',
      async () => {
        const property = fc.asyncProperty(
          sometimes(validStep, validShare),
          endpoint.path,
          endpoint.query ?? fc.constant(''),
          endpoint.body ?? fc.constant(null),
          endpoint.auth,
          async (valid, rawPath, rawQuery, rawBody, auth) => {
            if (valid) await runValid(valid);
            const path = await resolveRefs(rawPath, resolve);
            const query = await resolveRefs(rawQuery, resolve);
            const body = rawBody === null ? null : await resolveRefs(rawBody, resolve);
            const headers: Record<string, string> = auth === 'none' ? {} : { Authorization: auth };
            if (body !== null) headers['Content-Type'] = endpoint.contentType ?? 'application/json';
            const before = await snapshot(ctx.target.sql);
            const response = await rawHttpRequest(
              ctx.target.service.httpPort,
              endpoint.method,
              `${path}${query}`,
              body,
              headers,
            );
            const context = {
              method: endpoint.method,
              path: `${path}${query}`,
              body,
              auth,
              answer: response.text.slice(0, 300),
            };
            noteOutcome(response.status);
            expectNo5xx(response, context);
            // a wrong key is 401 (or 400/431 for a request refused before any key is looked at: raw bytes
            // in the URL, a bad escape, headers over Node's 16 KiB)
            if (auth.trim() !== `Bearer ${endpoint.validKey}` && ![400, 401, 431].includes(response.status))
              throw new Error(`a wrong key was answered ${response.status}: ${brief(context)}`);
            if (response.status >= 400)
              expectUnchanged(before, await snapshot(ctx.target.sql), response.status === 409, context);
            else if (!(response.status === 200 || (endpoint.created && response.status === 201)))
              throw new Error(`unexpected success status ${response.status}: ${brief(context)}`);
          },
        );
        await checkProperty(endpoint.name, property, SHORT_RUNS);
      },
      timeoutFor(SHORT_RUNS),
    );
  });
}
