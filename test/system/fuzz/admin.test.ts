import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { signV2 } from '@wallet-service/client';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from '../../support/test-service';
import { anyString, percentEncode, resolveRefs, urlText } from './arbitraries';
import { ctx, describeEndpoints, expectNo5xx, logins, resolve, setUpBackOffice, SHORT_RUNS } from './back-office';
import {
  brief,
  checkProperty,
  countRequests,
  expectUnchanged,
  noteOutcome,
  rawHttpRequest,
  snapshot,
  sleep,
  timeoutFor,
} from './harness';

/**
 * Property-based fuzzing of the operator API, the admin API (accounts, balance operations,
 * managers), the console login form, and HTTP itself (methods, content types and encodings, raw
 * bytes, truncated requests, broken framing), over real sockets. The reconciliation endpoints are
 * in reports.test.ts. Properties: never a 5xx; a refused request (4xx) changes nothing; a request
 * without the right bearer key is 401. Valid back-office operations run in between.
 */

setUpBackOffice('admin');
describeEndpoints(
  [
    'POST /operator/launch-tokens',
    'POST /admin/accounts',
    'PATCH /admin/accounts/:login',
    'POST /admin/balance',
    'POST /admin/managers',
  ],
  0.4,
);

describe('the fuzz harness', () => {
  it('sees every kind of change in its snapshot (money, accounts, records, keys, duplicates, tokens, managers)', async () => {
    const login = await ctx.api.createAccount('USD');
    const changes: Array<() => Promise<unknown>> = [
      () => ctx.api.deposit(logins.A, '1'),
      () => ctx.api.balanceOperation(logins.A, 'add', '1', 'harness-ref'),
      () => ctx.api.balanceOperation(logins.A, 'add', '2', 'harness-ref'),
      () => ctx.api.createAccount('USD'),
      () => ctx.api.admin('PATCH', `/admin/accounts/${login}`, { status: 'disabled' }),
      () => ctx.api.admin('PATCH', `/admin/accounts/${login}`, { status: 'active' }),
      () => ctx.api.launchToken(logins.A),
      () =>
        ctx.api.admin('POST', '/admin/managers', {
          login: 899_999,
          password: 'manager-password-3',
          role: 'SESSION_VIEWER',
        }),
    ];
    for (const change of changes) {
      const before = await snapshot(ctx.target.sql);
      await change();
      expect(() => expectUnchanged(before, JSON.parse(JSON.stringify(before)), false, null)).not.toThrow();
      const after = await snapshot(ctx.target.sql);
      expect(() => expectUnchanged(before, after, false, 'a change')).toThrow(/changed the state/);
    }
  });
});

describe('POST /console/login', () => {
  const key = fc.oneof(
    { weight: 3, arbitrary: fc.constant(TEST_ADMIN_KEY) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        TEST_OPERATOR_KEY,
        '',
        `${TEST_ADMIN_KEY} `,
        TEST_ADMIN_KEY.toUpperCase(),
        'x'.repeat(5000),
      ),
    },
    { weight: 2, arbitrary: anyString },
  );
  const form = fc.oneof(
    { weight: 5, arbitrary: key.map((value) => `key=${percentEncode(value)}`) },
    { weight: 1, arbitrary: fc.tuple(key, key).map(([a, b]) => `key=${percentEncode(a)}&key=${percentEncode(b)}`) },
    { weight: 1, arbitrary: fc.tuple(urlText, urlText).map(([name, value]) => `${name}=${value}`) },
    { weight: 1, arbitrary: key.map((value) => `key[]=${percentEncode(value)}&key[a]=1`) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'key',
        'key=',
        '=',
        '&&&',
        'key=%',
        'key=%zz',
        'key=%E0%A4%A',
        `key=${TEST_ADMIN_KEY}%00`,
      ),
    },
  );
  const contentType = fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=latin1',
    'application/x-www-form-urlencoded; charset=utf-16',
    'application/x-www-form-urlencoded; charset=nope',
    'text/plain',
    'application/json',
    'none',
  );

  it(
    'never answers 5xx, changes nothing, and lets in exactly the admin key',
    async () => {
      const property = fc.asyncProperty(form, contentType, async (body, type) => {
        const before = await snapshot(ctx.target.sql);
        const response = await rawHttpRequest(
          ctx.target.service.httpPort,
          'POST',
          '/console/login',
          body,
          type === 'none' ? {} : { 'Content-Type': type },
        );
        const context = { body, type, status: response.status };
        noteOutcome(response.status);
        expectNo5xx(response, context);
        const exact =
          typeof body === 'string' &&
          body === `key=${percentEncode(TEST_ADMIN_KEY)}` &&
          /^application\/x-www-form-urlencoded(; charset=utf-8)?$/.test(type);
        if (exact && response.status !== 303) throw new Error(`the admin key was refused: ${brief(context)}`);
        if (response.status === 303 && !/^key=/.test(String(body)))
          throw new Error(`let in without a key: ${brief(context)}`);
        if (![303, 400, 401, 413, 415].includes(response.status))
          throw new Error(`unexpected status: ${brief(context)}`);
        expectUnchanged(before, await snapshot(ctx.target.sql), false, context);
      });
      await checkProperty('POST /console/login', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});

describe('HTTP envelopes', () => {
  const endpoints = fc.constantFrom(
    '/wallet/getbalance',
    '/wallet/opentrade',
    '/operator/launch-tokens',
    '/admin/accounts',
    '/admin/balance',
    `/admin/accounts/@@login:A@@`,
    '/admin/reconciliation/match',
    '/console/login',
    '/console/match/run',
    '/healthz',
    '/nowhere',
  );
  const encoding = fc.constantFrom(
    'gzip',
    'deflate',
    'br',
    'identity',
    'compress',
    'gzip, gzip',
    'x-unknown',
    'GZIP',
    '',
  );
  const bodyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'random', bytes: Buffer.from(bytes) })),
    fc.constant({
      kind: 'gzip-json',
      bytes: gzipSync(Buffer.from(JSON.stringify({ accountId: 1, operation: 'add', amount: '1' }))),
    }),
    fc.uint8Array({ maxLength: 50 }).map((bytes) => ({
      kind: 'gzip-garbage',
      bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(bytes)]),
    })),
    fc.constant({ kind: 'gzip-bomb', bytes: gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)) }),
  );

  it(
    'odd methods, content types and content encodings (valid or broken) never get a 5xx and change nothing when refused',
    async () => {
      const property = fc.asyncProperty(
        endpoints,
        fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.option(encoding, { freq: 4 }),
        fc.constantFrom(
          'application/json',
          'text/csv',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          'application/octet-stream',
          'multipart/form-data',
        ),
        bodyBytes,
        fc.constantFrom('admin', 'operator', 'wallet', 'none'),
        async (rawPath, method, contentEncoding, contentType, body, auth) => {
          const path = await resolveRefs(rawPath, resolve);
          const headers: Record<string, string> = { 'Content-Type': contentType };
          if (contentEncoding !== null) headers['Content-Encoding'] = contentEncoding;
          if (auth === 'admin') headers.Authorization = `Bearer ${TEST_ADMIN_KEY}`;
          if (auth === 'operator') headers.Authorization = `Bearer ${TEST_OPERATOR_KEY}`;
          if (auth === 'wallet')
            Object.assign(
              headers,
              signV2(
                TEST_WALLET_SECRET,
                method,
                path,
                body.bytes,
                Math.floor(Date.now() / 1000),
                randomBytes(16).toString('hex'),
              ),
            );
          const before = await snapshot(ctx.target.sql);
          const response = await rawHttpRequest(ctx.target.service.httpPort, method, path, body.bytes, headers);
          const context = {
            method,
            path,
            headers,
            body: body.kind,
            bytes: body.bytes.subarray(0, 60),
            status: response.status,
            answer: response.text.slice(0, 200),
          };
          noteOutcome(response.status);
          expectNo5xx(response, context);
          if (response.status >= 400 || path.startsWith('/wallet/'))
            expectUnchanged(before, await snapshot(ctx.target.sql), false, context);
        },
      );
      await checkProperty('HTTP envelopes', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );

  it(
    'raw bytes, truncated requests and broken framing on the HTTP port never get a 5xx nor stop the service',
    async () => {
      const request = fc
        .record({
          method: fc.constantFrom('POST', 'GET', 'PATCH'),
          path: fc.constantFrom(
            '/admin/balance',
            '/wallet/opentrade',
            '/operator/launch-tokens',
            '/console/login',
            '/healthz',
            '/admin/accounts/1',
          ),
          body: fc.oneof(fc.constant(JSON.stringify({ accountId: 1, operation: 'add', amount: '1' })), anyString),
          framing: fc.constantFrom(
            'content-length',
            'longer-length',
            'shorter-length',
            'chunked',
            'bad-chunk',
            'both',
            'none',
            'negative-length',
            'two-lengths',
          ),
        })
        .map(({ method, path, body, framing }) => {
          const payload = Buffer.from(body);
          const head = [
            `${method} ${path} HTTP/1.1`,
            'Host: 127.0.0.1',
            'Connection: close',
            `Authorization: Bearer ${TEST_ADMIN_KEY}`,
            'Content-Type: application/json',
          ];
          let rest: Buffer = payload;
          switch (framing) {
            case 'content-length':
              head.push(`Content-Length: ${payload.length}`);
              break;
            case 'longer-length':
              head.push(`Content-Length: ${payload.length + 10}`);
              break;
            case 'shorter-length':
              head.push(`Content-Length: ${Math.max(payload.length - 3, 0)}`);
              break;
            case 'chunked':
              head.push('Transfer-Encoding: chunked');
              rest = Buffer.concat([
                Buffer.from(`${payload.length.toString(16)}\r\n`),
                payload,
                Buffer.from('\r\n0\r\n\r\n'),
              ]);
              break;
            case 'bad-chunk':
              head.push('Transfer-Encoding: chunked');
              rest = Buffer.concat([Buffer.from('zz\r\n'), payload, Buffer.from('\r\n0\r\n\r\n')]);
              break;
            case 'both':
              head.push(`Content-Length: ${payload.length}`, 'Transfer-Encoding: chunked');
              break;
            case 'negative-length':
              head.push('Content-Length: -1');
              break;
            case 'two-lengths':
              head.push(`Content-Length: ${payload.length}`, `Content-Length: ${payload.length + 1}`);
              break;
            default:
          }
          return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), rest]);
        });
      const bytes = fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(request, fc.nat())
            .map(([raw, cut]) => ({ raw: raw.subarray(0, 1 + (cut % raw.length)), note: 'truncated' })),
        },
        { weight: 2, arbitrary: request.map((raw) => ({ raw, note: 'whole' })) },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ minLength: 1, maxLength: 400 })
            .map((raw) => ({ raw: Buffer.from(raw), note: 'random' })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(request, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }))
            .map(([raw, at, noise]) => ({
              raw: Buffer.concat([raw.subarray(0, at % raw.length), Buffer.from(noise), raw.subarray(at % raw.length)]),
              note: 'noise',
            })),
        },
      );
      const property = fc.asyncProperty(
        bytes,
        fc.constantFrom('end', 'destroy', 'wait'),
        async ({ raw, note }, finish) => {
          const before = await snapshot(ctx.target.sql);
          const answer = await sendRawHttp(raw, finish);
          const statuses = [...answer.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
          const context = { note, raw, finish, answer: answer.slice(0, 300) };
          noteOutcome(statuses.length === 0 ? 'no answer' : statuses.join('+'));
          if (statuses.some((status) => status >= 500))
            throw new Error(`raw HTTP answered ${statuses}: ${brief(context)}`);
          // a complete valid request may have moved money, even when its answer was lost (a client that
          // half-closes gets none): only requests answered with a refusal are compared
          if (statuses.length > 0 && statuses.every((status) => status >= 400))
            expectUnchanged(before, await snapshot(ctx.target.sql), false, context);
        },
      );
      await checkProperty('raw HTTP framing', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});

/** Writes raw bytes to the HTTP port; then half-closes, resets, or waits; returns what came back. */
function sendRawHttp(raw: Buffer, finish: 'end' | 'destroy' | 'wait'): Promise<string> {
  countRequests();
  return new Promise((resolve) => {
    const socket = net.connect(ctx.target.service.httpPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', settle);
    socket.on('close', settle);
    socket.on('connect', () => {
      socket.write(raw);
      if (finish === 'end') socket.end();
      if (finish === 'destroy') void sleep(20).then(settle);
    });
    setTimeout(settle, finish === 'wait' ? 300 : 1500);
  });
}
