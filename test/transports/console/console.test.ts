import { parse } from 'csv-parse/sync';
import type { HttpJsonResponse } from '@wallet-service/client';
import { CONSOLE_SESSION_ABSOLUTE_S } from '../../../src/core/access/console-access-service';
import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { TestApi } from '../../support/api';
import { startTestService, type TestService } from '../../support/test-service';

const HOSTILE_NAME = '<script>alert(1)</script>';
const HOSTILE_COMMENT = '"><img src=x onerror=alert(2)>';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const USERNAME = 'fiona';
const PASSWORD = 'correct horse battery staple';

describe('web console over HTTP', () => {
  let target: TestService;
  let api: TestApi;
  let hostile: number;
  let paged: number;
  /** Every console response of this file, to check that none ever carries the password. */
  const responses: HttpJsonResponse[] = [];

  const send = async (
    method: string,
    path: string,
    options: { cookie?: string; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers = {
      ...(options.cookie === undefined ? {} : { Cookie: `${SESSION_COOKIE}=${options.cookie}` }),
      ...options.headers,
    };
    const response = await api.http.request(method, path, options.body ?? null, headers);
    responses.push(response);
    return response;
  };
  const setCookies = (response: HttpJsonResponse) => response.headers['set-cookie'] ?? [];
  const signIn = async (username = USERNAME, password = PASSWORD) =>
    send('POST', '/console/login', {
      body: `username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`,
      headers: FORM,
    });
  /** The session's CSRF token, as every page carries it for its forms and scripts. */
  const csrfOf = async (cookie: string) => {
    const page = await send('GET', '/console/accounts', { cookie });
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
    if (!token)
      throw new Error(`no CSRF token on the page: ${page.status} ${page.headers.location} ${page.text.slice(0, 300)}`);
    return token;
  };
  let session: string;

  beforeAll(async () => {
    target = await startTestService();
    api = new TestApi(target);
    hostile = api.takeLogin();
    const created = await api.admin('POST', '/admin/accounts', { login: hostile, currency: 'USD', name: HOSTILE_NAME });
    expect(created.status).toBe(201);
    await api.deposit(hostile, '100.00');
    expect(
      (
        await api.admin('POST', '/admin/balance', {
          accountId: hostile,
          operation: 'credit',
          amount: '5.50',
          referenceId: 'psp-7',
          comment: HOSTILE_COMMENT,
        })
      ).status,
    ).toBe(200);
    expect(
      (await api.admin('POST', '/admin/users', { username: USERNAME, password: PASSWORD, role: 'finance' })).status,
    ).toBe(201);
    paged = await api.createAccount();
    for (let i = 1; i <= 30; i += 1) await api.deposit(paged, `${i}.00`);
  });
  afterAll(async () => {
    api.close();
    await target.stop();
  });

  it('refuses a wrong password, an unknown user and credentials outside the form body, without setting a cookie', async () => {
    const page = await send('GET', '/console/login');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<form method="post" action="\/console\/login"/);
    expect(page.text).toMatch(/type="password" name="password"/);

    for (const refused of [
      await signIn(USERNAME, 'not the password at all'),
      await signIn('nobody', PASSWORD),
      await signIn(USERNAME, ''),
      await send('POST', '/console/login', {
        body: `{"username":"${USERNAME}","password":"${PASSWORD}"}`,
        headers: { 'Content-Type': 'application/json' },
      }),
      await send('POST', `/console/login?username=${USERNAME}&password=${encodeURIComponent(PASSWORD)}`),
    ]) {
      expect(refused.status).toBe(401);
      expect(refused.text).toMatch(/Wrong username or password/);
      expect(setCookies(refused)).toEqual([]);
    }
    const tooLarge = await send('POST', '/console/login', { body: `username=${'a'.repeat(5000)}`, headers: FORM });
    expect(tooLarge.status).toBe(413);
    expect(setCookies(tooLarge)).toEqual([]);
    const crossSite = await send('POST', '/console/login', {
      body: `username=${USERNAME}&password=${encodeURIComponent(PASSWORD)}`,
      headers: { ...FORM, Origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect(setCookies(crossSite)).toEqual([]);
  });

  it('signs in into a random, HttpOnly, SameSite=Strict session cookie that carries no credential', async () => {
    const response = await signIn();
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/console/dashboard');
    const cookies = setCookies(response);
    expect(cookies).toHaveLength(1);
    const [pair, ...attributes] = cookies[0]!.split('; ');
    expect(attributes.sort()).toEqual([
      'HttpOnly',
      `Max-Age=${CONSOLE_SESSION_ABSOLUTE_S}`,
      'Path=/console',
      'SameSite=Strict',
    ]);
    const [name, value] = pair!.split('=') as [string, string];
    expect(name).toBe(SESSION_COOKIE);
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    // a second sign-in in the same second is another session
    const again = setCookies(await signIn())[0]!
      .split('; ')[0]!
      .split('=')[1];
    expect(again).not.toBe(value);
    session = value;

    const accounts = await send('GET', '/console/accounts', { cookie: session });
    expect(accounts.status).toBe(200);
    expect(accounts.headers['content-type']).toMatch(/^text\/html/);
    expect(accounts.headers['cache-control']).toBe('no-store');
    expect(accounts.headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
    for (const link of [
      '/console/dashboard',
      '/console/accounts',
      '/console/reconciliation',
      '/console/match',
      '/console/runs',
      '/console/audit',
      '/console/logout',
    ])
      expect(accounts.text).toContain(`"${link}"`);
    expect(accounts.text).not.toContain('"/console/users"'); // finance does not manage users
    expect(accounts.text).toContain(`${USERNAME} · finance`);
    // once signed in, the login page leads to the console
    expect((await send('GET', '/console/login', { cookie: session })).headers.location).toBe('/console/dashboard');
  });

  const pages: Array<[string, string]> = [
    ['GET', '/console'],
    ['GET', '/console/'],
    ['GET', '/console/accounts'],
    ['GET', '/console/dashboard'],
    ['GET', '/console/assets/chart.umd.min.js'],
    ['GET', '/console/accounts?search=1001'],
    ['GET', '/console/accounts/1001'],
    ['GET', '/console/accounts/1001/statement?format=csv'],
    ['GET', '/console/accounts/1001/ledger.csv'],
    ['GET', '/console/entries/1'],
    ['GET', '/console/runs'],
    ['GET', '/console/runs/1'],
    ['GET', '/console/reconciliation'],
    ['GET', '/console/reconciliation?run=1'],
    ['GET', '/console/match'],
    ['POST', '/console/match/run'],
    ['GET', '/console/no-such-page'],
  ];

  it('sends every page without a valid session to the login page', async () => {
    const flipped = `${session.slice(0, -1)}${session.endsWith('0') ? '1' : '0'}`;
    const invalid: Array<string | undefined> = [
      undefined, // no cookie
      '',
      'garbage',
      PASSWORD, // the password is not a session
      flipped, // another token
      session.toUpperCase(),
      `${session}0`,
      'f'.repeat(64),
    ];
    for (const cookie of invalid) {
      for (const [method, path] of pages) {
        const response = await send(method, path, {
          ...(cookie === undefined ? {} : { cookie }),
          ...(method === 'POST' ? { body: 'reference,amount\n' } : {}),
        });
        expect({ cookie, path, status: response.status, location: response.headers.location }).toEqual({
          cookie,
          path,
          status: 303,
          location: '/console/login',
        });
      }
    }
    // the same pages with the session
    for (const [method, path] of pages) {
      const response = await send(method, path, {
        cookie: session,
        ...(method === 'POST' ? { body: 'reference,amount,currency\n' } : {}),
      });
      expect([path, response.headers.location]).not.toEqual([path, '/console/login']);
      expect(response.status).not.toBe(500);
    }
  });

  it('lists accounts found by login or name, escaping what it shows', async () => {
    const logins = (text: string) => [...text.matchAll(/<tr data-login="(\d+)">/g)].map((match) => Number(match[1]));
    const byName = await send('GET', `/console/accounts?search=${encodeURIComponent('<script>')}`, { cookie: session });
    expect(byName.status).toBe(200);
    expect(logins(byName.text)).toEqual([hostile]);
    expect(byName.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(byName.text).toContain('value="&lt;script&gt;"');
    expect(byName.text).not.toContain(HOSTILE_NAME);
    const byLogin = await send('GET', `/console/accounts?search=${paged}`, { cookie: session });
    expect(logins(byLogin.text)).toEqual([paged]);
    const none = await send('GET', '/console/accounts?search=987654', { cookie: session });
    expect(none.text).toContain('No account matches.');
    expect((await send('GET', '/console/accounts/987654', { cookie: session })).status).toBe(404);
  });

  it('shows the buckets and escapes a hostile account name and comment', async () => {
    const page = await send('GET', `/console/accounts/${hostile}`, { cookie: session });
    expect(page.status).toBe(200);
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.text).not.toContain(HOSTILE_NAME);
    expect(page.text).not.toContain('<img');
    expect(page.text).not.toMatch(/<script/i); // the account page needs no script at all
    const bucket = (name: string) =>
      new RegExp(`data-bucket="${name}"><div class="name">${name}</div><div class="value">([^<]*)</div>`).exec(
        page.text,
      )?.[1];
    expect([bucket('balance'), bucket('credit'), bucket('held'), bucket('available'), bucket('withdrawable')]).toEqual([
      '100.00',
      '5.50',
      '0.00',
      '105.50',
      '100.00',
    ]);
  });

  it('pages the ledger newest first with the ledger cursor', async () => {
    const versions = (text: string) =>
      [...text.matchAll(/<tr>\s*<td class="num"><a href="\/console\/entries\/\d+">(\d+)<\/a><\/td>/g)].map((match) =>
        Number(match[1]),
      );
    const first = await send('GET', `/console/accounts/${paged}`, { cookie: session });
    expect(versions(first.text)).toEqual(Array.from({ length: 25 }, (_, i) => 30 - i));
    expect(first.text).not.toContain('id="newest"');
    const older = /href="([^"]+)" id="older"/.exec(first.text)?.[1];
    expect(older).toMatch(new RegExp(`^/console/accounts/${paged}\\?cursor=`));
    const second = await send('GET', older!.replace(/&amp;/g, '&'), { cookie: session });
    expect(versions(second.text)).toEqual([5, 4, 3, 2, 1]);
    expect(second.text).toContain('id="newest"');
    expect(second.text).toContain('No older entries');
    const badCursor = await send('GET', `/console/accounts/${paged}?cursor=nonsense`, { cookie: session });
    expect(badCursor.status).toBe(400);
    expect(badCursor.text).toContain('cursor is not valid');
  });

  it('downloads a statement as an attachment whose closing line is the account bucket, as CSV and as JSON', async () => {
    const account = await api.account(hostile);
    const today = new Date().toISOString().slice(0, 10);
    const csv = await send('GET', `/console/accounts/${hostile}/statement?from=2000-01-01&to=${today}&format=csv`, {
      cookie: session,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="statement-${hostile}-2000-01-01-${today}.csv"`,
    );
    const lines = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    expect(lines.map((line) => line.line)).toEqual(['opening', 'entry', 'entry', 'closing']);
    expect(lines[0]).toMatchObject({ balance: '0.00', credit: '0.00', held: '0.00' });
    expect(lines.at(-1)).toMatchObject({ balance: account.balance, credit: account.credit, held: account.held });
    expect(lines[2]).toMatchObject({ reference_id: 'psp-7', comment: HOSTILE_COMMENT, credit: '5.50' });

    const json = await send('GET', `/console/accounts/${hostile}/statement?from=2000-01-01&format=json`, {
      cookie: session,
    });
    expect(json.headers['content-disposition']).toMatch(
      /^attachment; filename="statement-\d+-2000-01-01-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    expect(json.body).toMatchObject({
      login: String(hostile),
      currency: 'USD',
      closing: { balance: account.balance, credit: account.credit, held: account.held },
    });
    // the "to" day is included: a statement ending yesterday leaves today's entries out
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const earlier = await send(
      'GET',
      `/console/accounts/${hostile}/statement?from=2000-01-01&to=${yesterday}&format=json`,
      { cookie: session },
    );
    expect(earlier.body).toMatchObject({ entries: [], closing: { balance: '0.00' } });

    for (const query of ['format=xml', 'from=yesterday', 'from=2026-02-01&to=2026-01-01', 'to=2026-13-45']) {
      const refused = await send('GET', `/console/accounts/${hostile}/statement?${query}`, { cookie: session });
      expect([query, refused.status, refused.headers['content-type']]).toEqual([
        query,
        400,
        'text/html; charset=utf-8',
      ]);
    }
  });

  it('runs the reconciliation and lists every discrepancy and exception', async () => {
    const form = await send('GET', '/console/reconciliation', { cookie: session });
    expect(form.text).toContain('id="run-reconciliation"');
    expect(form.text).not.toContain('id="report"');

    const clean = await send('GET', '/console/reconciliation?from=&to=&staleHoldAgeH=24&run=1', { cookie: session });
    expect(clean.status).toBe(200);
    expect(clean.text).toContain('id="verdict">CLEAN<');
    for (const id of ['checks', 'orphan-closes', 'stale-holds', 'refused-duplicates', 'sync-timeouts'])
      expect(clean.text).toContain(`id="${id}"`);

    await api.balanceOperation(hostile, 'credit', '1.00', 'psp-7'); // psp-7 was 5.50: a refused duplicate
    await target.sql.query(`UPDATE accounts SET balance_minor = balance_minor + 100 WHERE login = $1`, [hostile]);
    try {
      const dirty = await send('GET', '/console/reconciliation?staleHoldAgeH=0&run=1', { cookie: session });
      expect(dirty.text).toContain('id="verdict">DISCREPANCIES FOUND<');
      // amounts in the account's currency units, not minor units
      const money = (amount: string) => `<span class="n">${amount}</span> <span class="ccy">USD</span>`;
      expect(dirty.text).toContain(
        `<td><code>bucket_equals_postings</code></td>\n      <td><a href="/console/accounts/${hostile}">${hostile}</a></td>\n      <td class="wrap">balance</td>\n      <td class="num">${money('100.00')}</td>\n      <td class="num">${money('101.00')}</td>`,
      );
      expect(dirty.text).toMatch(/<td class="wrap">psp-7<\/td>/);
    } finally {
      await target.sql.query(`UPDATE accounts SET balance_minor = balance_minor - 100 WHERE login = $1`, [hostile]);
    }
    const refused = await send('GET', '/console/reconciliation?staleHoldAgeH=-1&run=1', { cookie: session });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('stale hold age must be a whole number of hours');
  });

  it('matches an uploaded CSV against the ledger, as a dry run by default', async () => {
    const csv = ['ref,value,ccy', 'psp-7,5.50,USD', 'psp-none,1.00,USD'].join('\n');
    const csrf = await csrfOf(session);
    const response = await send(
      'POST',
      '/console/match/run?referenceColumn=ref&amountColumn=value&currencyColumn=ccy&dateColumn=when',
      {
        cookie: session,
        body: csv,
        headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': csrf },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      dryRun: true,
      runId: expect.any(String),
      fileRows: 2,
      counts: { matched: 1, missing_in_ledger: 1 },
    });
    const bad = await send('POST', '/console/match/run?side=nowhere', {
      cookie: session,
      body: csv,
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': csrf },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'INVALID_REQUEST' });
    const page = await send('GET', '/console/match', { cookie: session });
    const nonce = /script-src 'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))?.[1];
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(page.text).toContain('type="file"');
  });

  it('logs out by ending the session and clearing the cookie', async () => {
    const response = await send('POST', '/console/logout', {
      cookie: session,
      body: `_csrf=${encodeURIComponent(await csrfOf(session))}`,
      headers: FORM,
    });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/console/login');
    expect(setCookies(response)).toEqual([`${SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict`]);
    // without the cookie the browser no longer sends, every page leads to the login form again;
    // and a copy of the cookie taken before the logout no longer works either
    expect((await send('GET', '/console/accounts')).headers.location).toBe('/console/login');
    expect((await send('GET', '/console/accounts', { cookie: session })).headers.location).toBe('/console/login');
  });

  it('never put the password in a Location header, a cookie or a page', () => {
    expect(responses.length).toBeGreaterThan(50);
    for (const response of responses) {
      expect(String(response.headers.location ?? '')).not.toContain(encodeURIComponent(PASSWORD));
      expect(setCookies(response).join('\n')).not.toContain(PASSWORD);
      expect(response.text).not.toContain(PASSWORD);
    }
  });
});
