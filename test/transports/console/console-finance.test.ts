import { parse } from 'csv-parse/sync';
import { ACCOUNT_LIST_OFFSET_MAX, ACCOUNT_PAGE_SIZE_MAX } from '../../../src/core/accounts/account-service';
import { SESSION_COOKIE } from '../../../src/transports/console/console-session';
import { encodeCursor } from '../../../src/shared/page-cursor';
import { formatMinorUnits } from '../../../src/core/money/amount';
import { useTestService, type TestApi } from '../../support/api';
import type { TestService } from '../../support/test-service';

/**
 * The finance pages of the console and the core queries behind them, over real HTTP and a real
 * PostgreSQL: what each filter and search returns is checked against SQL written independently.
 */

type Session = Awaited<ReturnType<TestApi['consoleSession']>>;

let target: TestService;
let api: TestApi;
useTestService((started) => ({ target, api } = started));

const consoleGet = (session: Session, path: string) =>
  api.http.request('GET', path, null, { Cookie: `${SESSION_COOKIE}=${session.cookie}` });
const consolePost = (session: Session, path: string, body: string, headers: Record<string, string> = {}) =>
  api.http.request('POST', path, body, { Cookie: `${SESSION_COOKIE}=${session.cookie}`, ...headers });
const versionsOn = (text: string) =>
  [...text.matchAll(/<tr>\s*<td class="num"><a href="\/console\/entries\/\d+">(\d+)<\/a><\/td>/g)].map((match) =>
    Number(match[1]),
  );
const column = async (query: string, values: unknown[]) =>
  (await target.sql.query(query, values)).rows.map((row: Record<string, unknown>) => Object.values(row)[0]);

describe('GET /admin/accounts: the account list', () => {
  const names = ['Ann 50% off', 'Bob_Builder', 'bobby tables', 'Back\\slash', null, 'ANNA'];
  const logins: number[] = [];

  beforeAll(async () => {
    for (const [index, name] of names.entries()) {
      const login = api.takeLogin() + 70_000;
      logins.push(login);
      expect(
        (await api.admin('POST', '/admin/accounts', { login, currency: 'USD', ...(name === null ? {} : { name }) }))
          .status,
      ).toBe(201);
      await api.deposit(login, `${(index % 3) + 1}.00`);
    }
    expect((await api.admin('PATCH', `/admin/accounts/${logins[1]}`, { status: 'disabled' })).status).toBe(200);
  });

  const list = async (query: string) => {
    const response = await api.admin('GET', `/admin/accounts?${query}`);
    expect(response.status).toBe(200);
    return response.body as {
      items: Array<{ login: number; name: string | null; balance: string }>;
      nextCursor: string | null;
    };
  };

  it('finds names containing the text in any case, wildcards taken literally, and logins by prefix', async () => {
    for (const search of ['ann', '50%', '_', 'b_b', '\\', 'BOB', 'x']) {
      const expected = await column(
        `SELECT login::int FROM accounts WHERE strpos(lower(name), lower($1)) > 0 ORDER BY login`,
        [search],
      );
      expect([
        search,
        (await list(`search=${encodeURIComponent(search)}&limit=${ACCOUNT_PAGE_SIZE_MAX}`)).items.map(
          (account) => account.login,
        ),
      ]).toEqual([search, expected]);
    }
    const prefix = String(logins[0]).slice(0, 3);
    const expected = await column(
      `SELECT login::int FROM accounts WHERE login::text LIKE $1 || '%' OR strpos(name, $1) > 0 ORDER BY login`,
      [prefix],
    );
    expect(
      (await list(`search=${prefix}&limit=${ACCOUNT_PAGE_SIZE_MAX}`)).items.map((account) => account.login),
    ).toEqual(expected);
  });

  it('filters by status and sorts by name, balance and creation, ties broken by login', async () => {
    expect((await list('status=disabled')).items.map((account) => account.login)).toEqual(
      await column(`SELECT login::int FROM accounts WHERE status = 'disabled' ORDER BY login`, []),
    );
    const orders: Array<[string, string]> = [
      ['name', 'name ASC NULLS LAST, login ASC'],
      ['-name', 'name DESC NULLS LAST, login DESC'],
      ['-balance', 'balance_minor DESC, login DESC'],
      ['created', 'created_at ASC, login ASC'],
    ];
    for (const [sort, orderBy] of orders) {
      const expected = await column(`SELECT login::int FROM accounts ORDER BY ${orderBy}`, []);
      expect([
        sort,
        (await list(`sort=${sort}&limit=${ACCOUNT_PAGE_SIZE_MAX}`)).items.map((account) => account.login),
      ]).toEqual([sort, expected]);
    }
  });

  it('pages through every account once, and bounds the page size and the depth', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`sort=-balance&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((account) => account.login));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(await column(`SELECT login::int FROM accounts ORDER BY balance_minor DESC, login DESC`, []));
    expect((await api.admin('GET', `/admin/accounts?limit=${ACCOUNT_PAGE_SIZE_MAX + 1}`)).status).toBe(400);
    expect((await api.admin('GET', '/admin/accounts?limit=0')).status).toBe(400);
    expect(
      (await api.admin('GET', `/admin/accounts?cursor=${encodeCursor(BigInt(ACCOUNT_LIST_OFFSET_MAX + 1))}`)).status,
    ).toBe(400);
    expect((await api.admin('GET', `/admin/accounts?search=${'a'.repeat(101)}`)).status).toBe(400);
  });
});

describe('the console pages of a finance person', () => {
  let finance: Session;
  let viewer: Session;
  let login: number;

  beforeAll(async () => {
    [finance, viewer] = [await api.consoleSession('finance'), await api.consoleSession('viewer')];
    login = await api.createAccount();
    await api.deposit(login, '100.00');
    await api.balanceOperation(login, 'credit', '5.50', 'psp-7');
    await api.balanceOperation(login, 'add', '1.25', '=HYPERLINK("http://evil")');
    for (let i = 0; i < 3; i += 1) await api.balanceOperation(login, 'sub', '1.00', `out-${i}`);
  });

  it('filters the ledger by operation, reference and period exactly as SQL does, and exports the same entries as safe CSV', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const filters: Array<[string, string, unknown[]]> = [
      ['operation=sub', `operation = 'sub'`, []],
      ['reference=psp-7', `idempotency_key = 'psp-7'`, []],
      [
        `from=${today}&to=${today}&operation=add`,
        `operation = 'add' AND created_at >= $2::date AND created_at < $2::date + 1`,
        [today],
      ],
      ['to=2000-01-01', 'false', []],
    ];
    for (const [query, where, values] of filters) {
      const expected = await column(
        `SELECT account_version::int FROM journal_entries WHERE login = $1 AND ${where} ORDER BY account_version DESC`,
        [login, ...values],
      );
      const page = await consoleGet(finance, `/console/accounts/${login}?${query}`);
      expect([query, page.status, versionsOn(page.text)]).toEqual([query, 200, expected]);
      const csv = await consoleGet(finance, `/console/accounts/${login}/ledger.csv?${query}`);
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="ledger-${login}.csv"`);
      const lines = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
      expect([query, lines.map((line) => Number(line.version))]).toEqual([query, expected]);
    }
    // every amount with its currency; a formula in a reference is shown as text and neutralised in the file
    const page = await consoleGet(finance, `/console/accounts/${login}?operation=add`);
    expect(page.text).toContain('<span class="n">1.25</span> <span class="ccy">USD</span>');
    expect(page.text).toContain('=HYPERLINK(&quot;http://evil&quot;)');
    const csv = parse((await consoleGet(finance, `/console/accounts/${login}/ledger.csv?operation=add`)).text, {
      columns: true,
    }) as Array<Record<string, string>>;
    expect(csv.map((line) => [line.reference_id, line.balance_change])).toEqual([
      [`'=HYPERLINK("http://evil")`, '1.25'],
      ['', '100.00'],
    ]);
    // every download is in the audit log under the user, with its filter and format; a refused one is not
    const downloads = () =>
      column(
        `SELECT detail FROM audit_log WHERE actor = $1 AND target = $2 AND action = 'ledger.download' ORDER BY id`,
        [`user:${finance.username}`, String(login)],
      );
    const recorded = await downloads();
    expect([recorded.length, recorded.at(-1)]).toEqual([filters.length + 1, { operation: 'add', format: 'csv' }]);
    for (const refused of [
      'operation=steal',
      'from=2026-02-30',
      'from=2026-02-03&to=2026-02-01',
      `reference=${'r'.repeat(129)}`,
    ]) {
      expect([refused, (await consoleGet(finance, `/console/accounts/${login}?${refused}`)).status]).toEqual([
        refused,
        400,
      ]);
      expect([
        refused,
        (await consoleGet(finance, `/console/accounts/${login}/ledger.csv?${refused}`)).headers['content-type'],
      ]).toEqual([refused, 'text/html; charset=utf-8']);
    }
    expect(await downloads()).toHaveLength(recorded.length);
  });

  it('pages a filtered ledger with its filter kept in the links', async () => {
    for (let i = 3; i < 28; i += 1) await api.balanceOperation(login, 'sub', '0.01', `out-${i}`);
    const first = await consoleGet(finance, `/console/accounts/${login}?operation=sub`);
    expect(versionsOn(first.text)).toHaveLength(25);
    const older = /href="([^"]+)" id="older"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    expect(older).toMatch(/operation=sub&cursor=/);
    const second = await consoleGet(finance, older);
    expect(versionsOn(second.text)).toEqual(
      await column(
        `SELECT account_version::int FROM journal_entries WHERE login = $1 AND operation = 'sub' ORDER BY account_version DESC OFFSET 25`,
        [login],
      ),
    );
  });

  it('reads the balance at a moment from the after-values of the last entry before it', async () => {
    const { rows } = await target.sql.query(
      `SELECT id::text, created_at FROM journal_entries WHERE login = $1 AND account_version = 2`,
      [login],
    );
    const afterCredit = new Date((rows[0] as { created_at: Date }).created_at.getTime() + 1).toISOString();
    const page = await consoleGet(finance, `/console/accounts/${login}?at=${encodeURIComponent(afterCredit)}`);
    const bucketAt = (name: string) =>
      new RegExp(
        `data-at-bucket="${name}"><div class="name">${name}</div><div class="value"><span class="n">([^<]*)</span> <span class="ccy">USD</span>`,
      ).exec(page.text)?.[1];
    expect([bucketAt('balance'), bucketAt('credit'), bucketAt('held'), bucketAt('available')]).toEqual([
      '100.00',
      '5.50',
      '0.00',
      '105.50',
    ]);
    expect(page.text).toContain(`href="/console/entries/${(rows[0] as { id: string }).id}"`);
    const before = await consoleGet(finance, `/console/accounts/${login}?at=2000-01-01T00:00:00`);
    expect(before.text).toContain('before the account&#39;s first entry');
    expect((await consoleGet(finance, `/console/accounts/${login}?at=yesterday`)).status).toBe(400);
  });

  it('shows an entry with its postings', async () => {
    const [id] = await column(`SELECT id::text FROM journal_entries WHERE login = $1 AND account_version = 2`, [login]);
    const page = await consoleGet(viewer, `/console/entries/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      /<td>bonus<\/td><td class="num"><span class="n">-5.50<\/span> <span class="ccy">USD<\/span><\/td>/,
    );
    expect(page.text).toMatch(
      /<td>credit<\/td><td class="num"><span class="n">5.50<\/span> <span class="ccy">USD<\/span><\/td>/,
    );
    expect((await consoleGet(viewer, '/console/entries/999999999')).status).toBe(404);
    expect((await consoleGet(viewer, '/console/entries/abc')).status).toBe(400);
  });

  it('shows the dashboard for 30 or 90 days, loading the chart library the console serves', async () => {
    const page = await consoleGet(viewer, '/console/dashboard');
    expect(page.status).toBe(200);
    const nonce = /script-src 'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))![1];
    expect(page.text).toContain(`<script nonce="${nonce}" src="/console/assets/chart.umd.min.js"></script>`);
    expect(page.text).toMatch(/<section class="card currency" data-currency="USD"/);
    const [deposits] = await column(
      `SELECT sum(balance_delta_minor)::text FROM journal_entries WHERE operation = 'add' AND created_at > now() - interval '30 days'`,
      [],
    );
    expect(page.text).toContain(
      `data-figure-total="deposits"><div class="name">Deposits</div><div class="value"><span class="n">${formatMinorUnits(BigInt(String(deposits)), 2)}</span>`,
    );
    expect((await consoleGet(viewer, '/console/dashboard?days=90')).status).toBe(200);
    expect((await consoleGet(viewer, '/console/dashboard?days=7')).status).toBe(400);
    const library = await consoleGet(viewer, '/console/assets/chart.umd.min.js');
    expect(library.status).toBe(200);
    expect(library.headers['content-type']).toMatch(/^text\/javascript/);
    expect(library.text).toContain('Chart.js');
  });

  it('keeps the console runs in the history with their user, and reopens each as it was', async () => {
    const run = await consoleGet(finance, '/console/reconciliation?staleHoldAgeH=24&run=1');
    const runId = /id="run-link">(\d+)</.exec(run.text)![1]!;
    const history = await consoleGet(finance, '/console/runs?kind=reconciliation');
    expect(history.text).toMatch(
      new RegExp(`<tr data-run="${runId}">[\\s\\S]*?user:${finance.username}[\\s\\S]*?badge ok">clean<`),
    );
    const reopened = await consoleGet(finance, `/console/runs/${runId}`);
    expect(reopened.text).toContain('id="verdict">CLEAN<');
    expect(reopened.text).toContain(`<dd id="run-actor">user:${finance.username}</dd>`);
    const match = await consolePost(
      finance,
      '/console/match/run?referenceDelimiter=%3B',
      'reference,amount,currency\n"out-0;out-1",2.00,USD\n',
      { 'Content-Type': 'text/csv', 'X-CSRF-Token': finance.csrf },
    );
    expect(match.body).toMatchObject({ counts: { matched: 1 } });
    const matchId = (match.body as { runId: string }).runId;
    const matchPage = await consoleGet(finance, `/console/runs/${matchId}`);
    expect(matchPage.text).toContain(`href="/console/runs/${matchId}/items.csv"`);
    expect(matchPage.text).toMatch(
      /<td>USD<\/td>\s*<td>matched<\/td>\s*<td class="num">1<\/td>\s*<td class="num"><span class="n">2.00<\/span> <span class="ccy">USD<\/span><\/td>/,
    );
    const items = parse((await consoleGet(finance, `/console/runs/${matchId}/items.csv`)).text, {
      columns: true,
    }) as Array<Record<string, string>>;
    expect(items[0]).toMatchObject({
      outcome: 'matched',
      match: 'one-to-many',
      reference: 'out-0;out-1',
      file_amount: '2.00',
      ledger_amount: '2.00',
    });
    expect((await consoleGet(finance, `/console/runs/${runId}/items.csv`)).status).toBe(404);
    expect((await consoleGet(finance, '/console/runs?kind=everything')).status).toBe(400);
  });

  it('refuses a viewer what it may not do, with 403', async () => {
    for (const path of [
      '/console/reconciliation',
      '/console/runs',
      '/console/runs/1',
      '/console/runs/1/items.csv',
      `/console/accounts/${login}/ledger.csv`,
      `/console/accounts/${login}/statement`,
      '/console/audit',
      '/console/users',
    ]) {
      expect([path, (await consoleGet(viewer, path)).status]).toEqual([path, 403]);
    }
    const match = await consolePost(viewer, '/console/match/run', 'reference,amount,currency\n', {
      'Content-Type': 'text/csv',
      'X-CSRF-Token': viewer.csrf,
    });
    expect(match.status).toBe(403);
    expect((await consoleGet(finance, '/console/users')).status).toBe(403);
    // what a viewer reads carries no link to what it cannot do
    const account = await consoleGet(viewer, `/console/accounts/${login}`);
    expect(account.text).not.toContain('id="export-ledger"');
    expect(account.text).not.toContain('id="statement-form"');
  });

  it('refuses a POST without the session CSRF token', async () => {
    const csv = 'reference,amount,currency\n';
    expect((await consolePost(finance, '/console/match/run', csv, { 'Content-Type': 'text/csv' })).status).toBe(403);
    expect(
      (
        await consolePost(finance, '/console/match/run', csv, {
          'Content-Type': 'text/csv',
          'X-CSRF-Token': viewer.csrf,
        })
      ).status,
    ).toBe(403);
    expect(
      (await consolePost(finance, '/console/logout', '', { 'Content-Type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(403);
    expect((await consoleGet(finance, '/console/dashboard')).status).toBe(200); // still signed in
  });
});
