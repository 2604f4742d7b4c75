import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { HttpJsonResponse } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { rawAdmin, rawObject, rawOperator, signedWallet } from '../../support/probes';
import {
  ledgerDiscrepancies,
  startTestService,
  TEST_OPERATOR_KEY,
  UNTHROTTLED,
  type TestService,
} from '../../support/test-service';

/**
 * The served OpenAPI document against the real service: every operation it lists is called (success
 * and error cases) and every real answer must have a declared status and match the declared schema.
 */

interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const DOC_ID = 'openapi.json';

let target: TestService;
let api: TestApi;
let doc: OpenApiDocument;
let ajv: Ajv2020;
const validators = new Map<string, ValidateFunction>();
/** "METHOD path" of every documented operation a test called. */
const exercised = new Set<string>();
let tradeSeq = 0;

beforeAll(async () => {
  target = await startTestService({}, undefined, { throttleLimits: UNTHROTTLED });
  api = new TestApi(target);
  const response = await api.http.request('GET', '/openapi.json', null);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  doc = response.body as OpenApiDocument;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is not installed: RFC 3339 date-time by pattern
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  ajv.addSchema(doc as object, DOC_ID);
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  api.close();
  await target.stop();
});

function pointer(...segments: string[]): string {
  return `#/${segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

/**
 * Checks one real answer against the document: the status must be declared for the operation, and
 * the body must match the declared JSON schema (if any). Returns the problems found.
 */
function conformance(path: string, method: string, response: HttpJsonResponse, label: string): string[] {
  const where = `${method.toUpperCase()} ${path} [${label}]`;
  const operation = doc.paths[path]?.[method];
  if (!operation) return [`${where}: the document has no such operation`];
  exercised.add(`${method} ${path}`);
  const declared = operation.responses[String(response.status)];
  if (!declared) {
    return [
      `${where}: answered ${response.status}, not declared (declared: ${Object.keys(operation.responses).join(', ')}); body ${response.text.slice(0, 200)}`,
    ];
  }
  const contentType = String(response.headers['content-type'] ?? '');
  const declaredTypes = Object.keys(declared.content ?? {});
  const mediaType = declaredTypes.find((type) => contentType.startsWith(type));
  if (declaredTypes.length > 0 && !mediaType)
    return [`${where}: content-type ${contentType} is not one of ${declaredTypes.join(', ')}`];
  if (mediaType !== 'application/json' || !declared.content?.[mediaType]?.schema) return [];
  const problems: string[] = [];
  const validate = validatorFor(
    `${DOC_ID}${pointer('paths', path, method, 'responses', String(response.status), 'content', 'application/json', 'schema')}`,
  );
  if (!validate(response.body)) {
    problems.push(
      `${where}: ${response.status} body ${response.text.slice(0, 300)} does not match the schema: ${ajv.errorsText(validate.errors)}`,
    );
  }
  return problems;
}

type Case = [label: string, send: () => Promise<HttpJsonResponse>, expectedStatus: number];

/** Runs every case; checks each answer's HTTP status and its conformance; reports all problems at once. */
async function check(path: string, method: string, cases: Case[]): Promise<void> {
  const problems: string[] = [];
  for (const [label, send, expectedStatus] of cases) {
    const response = await send();
    if (response.status !== expectedStatus) {
      problems.push(
        `${method.toUpperCase()} ${path} [${label}]: expected HTTP ${expectedStatus}, got ${response.status} ${response.text.slice(0, 200)}`,
      );
    }
    problems.push(...conformance(path, method, response, label));
  }
  expect(problems).toEqual([]);
}

function tradeKey() {
  tradeSeq += 1;
  return { externalTradeType: 'options', externalTradeId: `oa-${tradeSeq}` };
}

const admin = (method: string, path: string, body?: unknown, key?: string | null) =>
  rawAdmin(
    api,
    method,
    path,
    body === undefined ? null : JSON.stringify(body),
    key === undefined ? target.config.adminApiKey : key,
  );
const wrongKey = 'wrong-key-0123456789abcdef';
const oversizedPad = 'p'.repeat(17 * 1024);

describe('the document', () => {
  it('is OpenAPI 3.1 and every JSON response schema in it compiles', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    let compiled = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        for (const [status, response] of Object.entries(operation.responses)) {
          if (response.content?.['application/json']?.schema === undefined) continue;
          expect(() =>
            validatorFor(
              `${DOC_ID}${pointer('paths', path, method, 'responses', status, 'content', 'application/json', 'schema')}`,
            ),
          ).not.toThrow();
          compiled += 1;
        }
      }
    }
    expect(compiled).toBeGreaterThan(10);
  });

  it('is served with a Swagger UI page at /docs', async () => {
    const response = await api.http.request('GET', '/docs', null);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toMatch(/swagger-ui/i);
    expect(response.text).toContain('/openapi.json');
    const asset = await api.http.request('GET', '/docs/assets/swagger-ui-bundle.js', null);
    expect(asset.status).toBe(200);
  });
});

describe('wallet API', () => {
  it('POST /wallet/authenticate', async () => {
    const login = await api.createAccount();
    const launch = await api.launchToken(login);
    await check('/wallet/authenticate', 'post', [
      ['Ok', () => api.wallet.send('authenticate', { token: launch }), 200],
      ['InvalidToken (used twice)', () => api.wallet.send('authenticate', { token: launch }), 200],
      [
        'InvalidDigest (unsigned)',
        () => api.http.request('POST', '/wallet/authenticate', JSON.stringify({ token: launch })),
        200,
      ],
      ['InvalidRequest (malformed)', () => signedWallet(api, '/wallet/authenticate', '{"token":'), 200],
    ]);
  });

  it('POST /wallet/getbalance', async () => {
    const { login, token } = await api.player('10.00');
    const disabled = await api.player('1.00');
    await api.admin('PATCH', `/admin/accounts/${disabled.login}`, { status: 'disabled' });
    await check('/wallet/getbalance', 'post', [
      ['Ok', () => api.wallet.send('getbalance', { token, currency: 'USD' }), 200],
      ['InsufficientFunds', () => api.wallet.send('getbalance', { token, currency: 'USD', amount: '10.01' }), 200],
      ['CurrencyMismatch', () => api.wallet.send('getbalance', { token, currency: 'EUR' }), 200],
      ['InvalidToken', () => api.wallet.send('getbalance', { token: 'unknown', currency: 'USD' }), 200],
      ['Unauthorized (disabled)', () => api.wallet.send('getbalance', { token: disabled.token, currency: 'USD' }), 200],
      ['InvalidRequest (unknown field)', () => api.wallet.send('getbalance', { token, currency: 'USD', x: 1 }), 200],
    ]);
    expect(await api.account(login)).toMatchObject({ balance: '10.00' });
  });

  it('POST /wallet/opentrade', async () => {
    const { token } = await api.player('10.00');
    const other = await api.player('10.00');
    const key = tradeKey();
    await check('/wallet/opentrade', 'post', [
      ['Ok', () => api.wallet.send('opentrade', { token, amount: '4', currency: 'USD', ...key }), 200],
      ['Ok (replay)', () => api.wallet.send('opentrade', { token, amount: '4', currency: 'USD', ...key }), 200],
      [
        'DuplicateTransaction',
        () => api.wallet.send('opentrade', { token: other.token, amount: '4', currency: 'USD', ...key }),
        200,
      ],
      [
        'InsufficientFunds',
        () => api.wallet.send('opentrade', { token, amount: '6.01', currency: 'USD', ...tradeKey() }),
        200,
      ],
      [
        'InvalidRequest (zero)',
        () => api.wallet.send('opentrade', { token, amount: '0', currency: 'USD', ...tradeKey() }),
        200,
      ],
      [
        'InvalidRequest (oversized)',
        () => api.wallet.send('opentrade', { token, amount: '1', currency: 'USD', ...tradeKey(), data: oversizedPad }),
        200,
      ],
    ]);
  });

  it('POST /wallet/closetrade', async () => {
    const owner = await api.player('10.00');
    const other = await api.player('10.00');
    const key = tradeKey();
    await api.wallet.call('opentrade', { token: owner.token, amount: '2', currency: 'USD', ...key });
    await check('/wallet/closetrade', 'post', [
      [
        'Unauthorized (other user)',
        () => api.wallet.send('closetrade', { token: other.token, amount: '3', currency: 'USD', ...key }),
        200,
      ],
      ['Ok', () => api.wallet.send('closetrade', { token: owner.token, amount: '3', currency: 'USD', ...key }), 200],
      [
        'Ok (orphan close)',
        () => api.wallet.send('closetrade', { token: owner.token, amount: '3', currency: 'USD', ...tradeKey() }),
        200,
      ],
      [
        'DuplicateTransaction',
        () => api.wallet.send('closetrade', { token: owner.token, amount: '4', currency: 'USD', ...key }),
        200,
      ],
      [
        'InvalidDigest',
        () =>
          api.http.request(
            'POST',
            '/wallet/closetrade',
            JSON.stringify({ token: owner.token, amount: '3', currency: 'USD', ...key }),
          ),
        200,
      ],
    ]);
    expect(await api.account(owner.login)).toMatchObject({ balance: '11.00', held: '0.00' });
  });
});

describe('operator API', () => {
  it('POST /operator/launch-tokens', async () => {
    const login = await api.createAccount();
    const disabled = await api.createAccount();
    await api.admin('PATCH', `/admin/accounts/${disabled}`, { status: 'disabled' });
    await check('/operator/launch-tokens', 'post', [
      ['created', () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login })), 201],
      ['invalid login', () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login: 'x' })), 400],
      ['malformed', () => rawOperator(api, '/operator/launch-tokens', '{'), 400],
      ['no key', () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login }), null), 401],
      [
        'admin key',
        () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login }), target.config.adminApiKey),
        401,
      ],
      ['disabled', () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login: disabled })), 403],
      ['unknown login', () => rawOperator(api, '/operator/launch-tokens', JSON.stringify({ login: 99999991 })), 404],
    ]);
  });
});

describe('admin API', () => {
  it('POST /admin/accounts', async () => {
    const login = api.takeLogin();
    await check('/admin/accounts', 'post', [
      ['created', () => admin('POST', '/admin/accounts', { login, currency: 'USD', name: 'n' }), 201],
      [
        'created without name',
        () => admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'BTC' }),
        201,
      ],
      ['duplicate', () => admin('POST', '/admin/accounts', { login, currency: 'USD' }), 409],
      ['unknown currency', () => admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'XYZ' }), 400],
      ['unknown field', () => admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'USD', x: 1 }), 400],
      ['no key', () => admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'USD' }, null), 401],
      [
        'operator key',
        () => admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'USD' }, TEST_OPERATOR_KEY),
        401,
      ],
    ]);
  });

  it('GET /admin/accounts/{login}', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '5');
    await api.balanceOperation(login, 'credit', '2');
    await check('/admin/accounts/{login}', 'get', [
      ['found', () => admin('GET', `/admin/accounts/${login}`), 200],
      ['unknown', () => admin('GET', '/admin/accounts/99999992'), 404],
      ['wrong key', () => admin('GET', `/admin/accounts/${login}`, undefined, wrongKey), 401],
      ['login not a number', () => admin('GET', '/admin/accounts/abc'), 400],
    ]);
  });

  it('PATCH /admin/accounts/{login}', async () => {
    const login = await api.createAccount();
    await check('/admin/accounts/{login}', 'patch', [
      ['disabled', () => admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' }), 200],
      ['enabled', () => admin('PATCH', `/admin/accounts/${login}`, { status: 'active' }), 200],
      ['unknown status', () => admin('PATCH', `/admin/accounts/${login}`, { status: 'frozen' }), 400],
      ['unknown', () => admin('PATCH', '/admin/accounts/99999993', { status: 'active' }), 404],
      ['no key', () => admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' }, null), 401],
    ]);
    expect(await api.account(login)).toMatchObject({ status: 'active' });
  });

  it('GET /admin/accounts', async () => {
    await api.createAccount();
    await api.createAccount();
    const first = await admin('GET', '/admin/accounts?limit=1&sort=-created');
    const cursor = (first.body as { nextCursor: string }).nextCursor;
    await check('/admin/accounts', 'get', [
      ['first page', async () => first, 200],
      [
        'next page',
        () => admin('GET', `/admin/accounts?limit=1&sort=-created&cursor=${encodeURIComponent(cursor)}`),
        200,
      ],
      ['searched', () => admin('GET', '/admin/accounts?search=user&status=active&sort=-balance'), 200],
      ['nothing found', () => admin('GET', '/admin/accounts?search=nobody%25at_all'), 200],
      ['bad sort', () => admin('GET', '/admin/accounts?sort=password'), 400],
      ['bad status', () => admin('GET', '/admin/accounts?status=frozen'), 400],
      ['bad limit', () => admin('GET', '/admin/accounts?limit=100000'), 400],
      ['bad cursor', () => admin('GET', '/admin/accounts?cursor=zzz'), 400],
      ['no key', () => admin('GET', '/admin/accounts', undefined, null), 401],
    ]);
  });

  it('GET /admin/accounts/{login}/transactions', async () => {
    const login = await api.createAccount();
    for (const amount of ['1', '2', '3']) await api.deposit(login, amount);
    await api.balanceOperation(login, 'credit', '1', `oa-ref-${login}`);
    const first = await admin('GET', `/admin/accounts/${login}/transactions?limit=2`);
    const cursor = (first.body as { nextCursor: string }).nextCursor;
    await check('/admin/accounts/{login}/transactions', 'get', [
      ['first page', async () => first, 200],
      [
        'next page',
        () => admin('GET', `/admin/accounts/${login}/transactions?limit=2&cursor=${encodeURIComponent(cursor)}`),
        200,
      ],
      ['all', () => admin('GET', `/admin/accounts/${login}/transactions`), 200],
      ['empty', async () => admin('GET', `/admin/accounts/${await api.createAccount()}/transactions`), 200],
      ['bad limit', () => admin('GET', `/admin/accounts/${login}/transactions?limit=0`), 400],
      ['bad cursor', () => admin('GET', `/admin/accounts/${login}/transactions?cursor=zzz`), 400],
      ['unknown', () => admin('GET', '/admin/accounts/99999994/transactions'), 404],
      ['no key', () => admin('GET', `/admin/accounts/${login}/transactions`, undefined, null), 401],
    ]);
  });

  it('POST /admin/balance', async () => {
    const login = await api.createAccount();
    await check('/admin/balance', 'post', [
      [
        'applied',
        () =>
          admin('POST', '/admin/balance', {
            accountId: login,
            operation: 'add',
            amount: '10',
            referenceId: `oa-${login}`,
          }),
        200,
      ],
      [
        'replayed',
        () =>
          admin('POST', '/admin/balance', {
            accountId: login,
            operation: 'add',
            amount: '10',
            referenceId: `oa-${login}`,
          }),
        200,
      ],
      [
        'reference reused',
        () =>
          admin('POST', '/admin/balance', {
            accountId: login,
            operation: 'add',
            amount: '11',
            referenceId: `oa-${login}`,
          }),
        409,
      ],
      [
        'insufficient',
        () => admin('POST', '/admin/balance', { accountId: login, operation: 'sub', amount: '10.01' }),
        422,
      ],
      ['zero amount', () => admin('POST', '/admin/balance', { accountId: login, operation: 'add', amount: '0' }), 400],
      [
        'unknown account',
        () => admin('POST', '/admin/balance', { accountId: 99999995, operation: 'add', amount: '1' }),
        404,
      ],
      [
        'operator key',
        () => admin('POST', '/admin/balance', { accountId: login, operation: 'add', amount: '1' }, TEST_OPERATOR_KEY),
        401,
      ],
    ]);
    expect(await api.account(login)).toMatchObject({ balance: '10.00' });
  });

  it('POST /admin/managers', async () => {
    const login = api.takeLogin();
    const manager = (body: Record<string, unknown>, key?: string | null) => admin('POST', '/admin/managers', body, key);
    await check('/admin/managers', 'post', [
      ['created', () => manager({ login, password: 'correct horse battery', role: 'SESSION_MANAGER' }), 201],
      ['duplicate', () => manager({ login, password: 'another password', role: 'SESSION_DEALER' }), 409],
      [
        'unknown role',
        () => manager({ login: api.takeLogin(), password: 'correct horse battery', role: 'SESSION_GOD' }),
        400,
      ],
      [
        'password shorter than the documented minLength 8',
        () => manager({ login: api.takeLogin(), password: 'short', role: 'SESSION_VIEWER' }),
        400,
      ],
      [
        'operator key',
        () =>
          manager(
            { login: api.takeLogin(), password: 'correct horse battery', role: 'SESSION_ADMIN' },
            TEST_OPERATOR_KEY,
          ),
        401,
      ],
    ]);
  });

  it('answers oversized bodies with a declared status', async () => {
    const login = await api.createAccount();
    const pad = { comment: oversizedPad };
    const problems = [
      ...conformance(
        '/admin/balance',
        'post',
        await admin('POST', '/admin/balance', { accountId: login, operation: 'add', amount: '1', ...pad }),
        'oversized',
      ),
      ...conformance(
        '/admin/accounts',
        'post',
        await admin('POST', '/admin/accounts', { login: api.takeLogin(), currency: 'USD', name: oversizedPad }),
        'oversized',
      ),
      ...conformance(
        '/admin/accounts/{login}',
        'patch',
        await admin('PATCH', `/admin/accounts/${login}`, { status: 'active', ...pad }),
        'oversized',
      ),
      ...conformance(
        '/admin/managers',
        'post',
        await admin('POST', '/admin/managers', {
          login: api.takeLogin(),
          password: oversizedPad,
          role: 'SESSION_VIEWER',
        }),
        'oversized',
      ),
      ...conformance(
        '/operator/launch-tokens',
        'post',
        await rawOperator(
          api,
          '/operator/launch-tokens',
          rawObject({ login: String(login), pad: JSON.stringify(oversizedPad) }),
        ),
        'oversized',
      ),
    ];
    expect(problems).toEqual([]);
    expect(await api.account(login)).toMatchObject({ balance: '0.00', version: 0 });
  });
});

describe('reconciliation endpoints', () => {
  it('GET /admin/reconciliation', async () => {
    await check('/admin/reconciliation', 'get', [
      ['report', () => admin('GET', '/admin/reconciliation?staleHoldAgeS=0'), 200],
      ['bad period', () => admin('GET', '/admin/reconciliation?from=soon'), 400],
      ['no key', () => admin('GET', '/admin/reconciliation', undefined, null), 401],
    ]);
  });

  it('GET /admin/reports/daily-totals', async () => {
    await check('/admin/reports/daily-totals', 'get', [
      ['json', () => admin('GET', '/admin/reports/daily-totals'), 200],
      ['csv', () => admin('GET', '/admin/reports/daily-totals?format=csv'), 200],
      ['inverted period', () => admin('GET', '/admin/reports/daily-totals?from=2026-02-01&to=2026-01-01'), 400],
      ['wrong key', () => admin('GET', '/admin/reports/daily-totals', undefined, wrongKey), 401],
    ]);
  });

  it('GET /admin/accounts/{login}/statement', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '12.34');
    await check('/admin/accounts/{login}/statement', 'get', [
      ['json', () => admin('GET', `/admin/accounts/${login}/statement`), 200],
      ['csv', () => admin('GET', `/admin/accounts/${login}/statement?format=csv`), 200],
      ['unknown account', () => admin('GET', `/admin/accounts/${api.takeLogin()}/statement`), 404],
      ['malformed login', () => admin('GET', '/admin/accounts/abc/statement'), 400],
      ['no key', () => admin('GET', `/admin/accounts/${login}/statement`, undefined, null), 401],
    ]);
  });

  it('GET /admin/accounts/{login}/balance', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '12.34');
    await check('/admin/accounts/{login}/balance', 'get', [
      ['now', () => admin('GET', `/admin/accounts/${login}/balance`), 200],
      ['before the first entry', () => admin('GET', `/admin/accounts/${login}/balance?at=2020-01-01`), 200],
      ['impossible moment', () => admin('GET', `/admin/accounts/${login}/balance?at=2026-02-30`), 400],
      ['unknown account', () => admin('GET', `/admin/accounts/${api.takeLogin()}/balance`), 404],
      ['no key', () => admin('GET', `/admin/accounts/${login}/balance`, undefined, null), 401],
    ]);
  });

  it('the console users and the audit log', async () => {
    const password = 'a console password, long enough';
    await check('/admin/users', 'post', [
      ['created', () => admin('POST', '/admin/users', { username: 'olga', password, role: 'viewer' }), 201],
      ['taken', () => admin('POST', '/admin/users', { username: 'olga', password, role: 'viewer' }), 409],
      [
        'short password',
        () => admin('POST', '/admin/users', { username: 'pete', password: 'short', role: 'viewer' }),
        400,
      ],
      ['no key', () => admin('POST', '/admin/users', { username: 'pete', password, role: 'viewer' }, null), 401],
    ]);
    await check('/admin/users', 'get', [['list', () => admin('GET', '/admin/users'), 200]]);
    await check('/admin/users/{username}', 'patch', [
      ['role', () => admin('PATCH', '/admin/users/olga', { role: 'finance' }), 200],
      ['unknown role', () => admin('PATCH', '/admin/users/olga', { role: 'owner' }), 400],
      ['nothing to change', () => admin('PATCH', '/admin/users/olga', {}), 400],
      ['no such user', () => admin('PATCH', '/admin/users/nobody', { disabled: true }), 404],
    ]);
    await check('/admin/users/{username}/sessions', 'delete', [
      ['ended', () => admin('DELETE', '/admin/users/olga/sessions'), 200],
    ]);
    await check('/admin/audit', 'get', [
      ['first page', () => admin('GET', '/admin/audit?limit=2'), 200],
      ['bad paging', () => admin('GET', '/admin/audit?before=abc'), 400],
    ]);
  });

  it('GET /admin/ledger/export', async () => {
    await check('/admin/ledger/export', 'get', [
      ['csv', () => admin('GET', '/admin/ledger/export'), 200],
      ['bad period', () => admin('GET', '/admin/ledger/export?to=never'), 400],
      ['no key', () => admin('GET', '/admin/ledger/export', undefined, null), 401],
    ]);
  });

  it('POST /admin/reconciliation/match', async () => {
    const csv = 'reference,amount,currency,date\nnope-1,1.00,USD,2026-11-01\n';
    const match = (query: string, body: string, key: string | null = target.config.adminApiKey) =>
      api.http.request(
        'POST',
        `/admin/reconciliation/match${query}`,
        body,
        key ? { Authorization: `Bearer ${key}`, 'Content-Type': 'text/csv' } : {},
      );
    await check('/admin/reconciliation/match', 'post', [
      ['dry run', () => match('', csv), 200],
      ['no usable row', () => match('?referenceColumn=ref', csv), 400],
      ['oversized', () => match('', 'x'.repeat(21 * 1024 * 1024)), 413],
      ['no key', () => match('', csv, null), 401],
    ]);
  });
});

describe('dashboard', () => {
  it('GET /admin/reports/dashboard', async () => {
    const { token } = await api.player('10.00');
    await api.wallet.call('opentrade', { token, amount: '4', currency: 'USD', ...tradeKey() });
    const today = new Date().toISOString().slice(0, 10);
    await check('/admin/reports/dashboard', 'get', [
      ['the last 30 days', () => admin('GET', '/admin/reports/dashboard'), 200],
      ['one day', () => admin('GET', `/admin/reports/dashboard?from=${today}&to=${today}`), 200],
      ['longer than 366 days', () => admin('GET', '/admin/reports/dashboard?from=2025-01-01&to=2026-01-02'), 400],
      ['impossible date', () => admin('GET', '/admin/reports/dashboard?to=2026-02-30'), 400],
      ['no key', () => admin('GET', '/admin/reports/dashboard', undefined, null), 401],
    ]);
  });
});

describe('the run history and the drill-down', () => {
  const csv = 'reference,amount,currency\nrun-1;run-2,3.00,USD\nrun-3,1.00,USD\nrun-3,1.00,USD\n';
  const matchRun = async () => {
    const login = await api.createAccount();
    await api.balanceOperation(login, 'add', '1.00', `run-1-${login}`);
    const response = await api.http.request(
      'POST',
      '/admin/reconciliation/match?referenceDelimiter=;&sumRepeated=true&dryRun=false',
      csv,
      {
        Authorization: `Bearer ${target.config.adminApiKey}`,
        'Content-Type': 'text/csv',
      },
    );
    expect(response.status).toBe(200);
    return (response.body as { runId: string }).runId;
  };

  it('GET /admin/reconciliation/runs', async () => {
    await matchRun();
    const first = await admin('GET', '/admin/reconciliation/runs?limit=1');
    const cursor = (first.body as { nextCursor: string }).nextCursor;
    await check('/admin/reconciliation/runs', 'get', [
      ['first page', async () => first, 200],
      ['next page', () => admin('GET', `/admin/reconciliation/runs?limit=1&cursor=${encodeURIComponent(cursor)}`), 200],
      ['matches only', () => admin('GET', '/admin/reconciliation/runs?kind=match'), 200],
      ['bad kind', () => admin('GET', '/admin/reconciliation/runs?kind=other'), 400],
      ['limit over the maximum', () => admin('GET', '/admin/reconciliation/runs?limit=101'), 400],
      ['bad cursor', () => admin('GET', '/admin/reconciliation/runs?cursor=zzz'), 400],
      ['no key', () => admin('GET', '/admin/reconciliation/runs', undefined, null), 401],
    ]);
  });

  it('GET /admin/reconciliation/runs/{id}', async () => {
    const matched = await matchRun();
    const reconciled = (await admin('GET', '/admin/reconciliation')).body as { runId: string };
    await check('/admin/reconciliation/runs/{id}', 'get', [
      ['a match run', () => admin('GET', `/admin/reconciliation/runs/${matched}`), 200],
      ['a reconciliation run', () => admin('GET', `/admin/reconciliation/runs/${reconciled.runId}`), 200],
      ['unknown', () => admin('GET', '/admin/reconciliation/runs/99999999'), 404],
      ['not a number', () => admin('GET', '/admin/reconciliation/runs/abc'), 400],
      ['no key', () => admin('GET', `/admin/reconciliation/runs/${matched}`, undefined, null), 401],
    ]);
  });

  it('GET /admin/reconciliation/runs/{id}/items.csv', async () => {
    const matched = await matchRun();
    const reconciled = (await admin('GET', '/admin/reconciliation')).body as { runId: string };
    await check('/admin/reconciliation/runs/{id}/items.csv', 'get', [
      ['csv', () => admin('GET', `/admin/reconciliation/runs/${matched}/items.csv`), 200],
      [
        'a reconciliation run has no items',
        () => admin('GET', `/admin/reconciliation/runs/${reconciled.runId}/items.csv`),
        404,
      ],
      ['unknown', () => admin('GET', '/admin/reconciliation/runs/99999999/items.csv'), 404],
      ['not a number', () => admin('GET', '/admin/reconciliation/runs/0/items.csv'), 400],
      ['no key', () => admin('GET', `/admin/reconciliation/runs/${matched}/items.csv`, undefined, null), 401],
    ]);
  });

  it('GET /admin/ledger/entries/{id}', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '3.21');
    const entryId = (
      (await admin('GET', `/admin/accounts/${login}/transactions`)).body as { items: Array<{ id: number }> }
    ).items[0]!.id;
    await check('/admin/ledger/entries/{id}', 'get', [
      ['found', () => admin('GET', `/admin/ledger/entries/${entryId}`), 200],
      ['unknown', () => admin('GET', '/admin/ledger/entries/99999999'), 404],
      ['not a number', () => admin('GET', '/admin/ledger/entries/x1'), 400],
      ['no key', () => admin('GET', `/admin/ledger/entries/${entryId}`, undefined, null), 401],
    ]);
  });
});

describe('service endpoints', () => {
  it('GET /healthz', async () => {
    await check('/healthz', 'get', [['ready', () => api.http.request('GET', '/healthz', null), 200]]);
  });

  it('GET /metrics', async () => {
    await check('/metrics', 'get', [['metrics', () => api.http.request('GET', '/metrics', null), 200]]);
    const response = await api.http.request('GET', '/metrics', null);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });
});

describe('coverage', () => {
  it('called every operation of the document', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method} ${path}`),
    );
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.filter((operation) => !exercised.has(operation))).toEqual([]);
  });
});
