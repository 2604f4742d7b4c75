import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { TestApi } from '../../support/api';
import { managerClient } from '../../support/manager';
import { startTestService, type TestService } from '../../support/test-service';
import { MATCH_RECORD_CHARS_MAX } from '../../../src/core/reconciliation/match-service';

const run = promisify(execFile);

interface Report {
  clean: boolean;
  replicaLagS: number | null;
  checks: Array<{ check: string; discrepancies: number }>;
  discrepancies: {
    count: number;
    items: Array<{
      check: string;
      login: string | null;
      subject: string;
      expected: string;
      found: string;
      entryIds: string[];
    }>;
  };
  exceptions: Record<string, { count: number; items: Array<Record<string, unknown>> }>;
}

/** A service with a small but varied workload: deposits, credit, trades won and lost, manager commands. */
async function serviceWithWorkload(): Promise<{ target: TestService; api: TestApi; login: number; token: string }> {
  const target = await startTestService();
  const api = new TestApi(target);
  const { login, token } = await api.player('500.00');
  await api.balanceOperation(login, 'credit', '50.00', 'bonus-1');
  await api.balanceOperation(login, 'sub', '20.00', 'wd-1');
  const trade = (id: string, amount: string) => ({
    token,
    currency: 'USD',
    externalTradeType: 'rec',
    externalTradeId: id,
    amount,
  });
  await api.wallet.call('opentrade', trade('won', '100'));
  await api.wallet.call('closetrade', trade('won', '180'));
  await api.wallet.call('opentrade', trade('lost', '60'));
  await api.wallet.call('closetrade', trade('lost', '0'));
  await api.wallet.call('opentrade', trade('open', '25'));
  const { client } = await managerClient(api, target.service.managerPort);
  await client.command('BalanceInSync', { login, amount: 70, referenceId: 'psp-1' });
  await client.close();
  return { target, api, login, token };
}

async function reconcile(api: TestApi, query = ''): Promise<Report> {
  const response = await api.admin('GET', `/admin/reconciliation${query}`);
  expect(response.status).toBe(200);
  return response.body as Report;
}

const failing = (report: Report) =>
  report.checks
    .filter((check) => check.discrepancies > 0)
    .map((check) => check.check)
    .sort();

describe('invariant checks', () => {
  let target: TestService;
  let api: TestApi;
  let login: number;

  beforeEach(async () => {
    ({ target, api, login } = await serviceWithWorkload());
  });
  afterEach(async () => {
    api.close();
    await target.stop();
  });

  it('report a clean ledger as clean', async () => {
    const report = await reconcile(api);
    expect(report.clean).toBe(true);
    expect(report.replicaLagS).toBeNull(); // read on the primary
    expect(report.discrepancies.count).toBe(0);
    expect(report.checks.length).toBeGreaterThanOrEqual(7);
  });

  it('find a bucket changed without postings', async () => {
    await target.sql.query(`UPDATE accounts SET balance_minor = balance_minor + 100 WHERE login = $1`, [login]);
    const report = await reconcile(api);
    expect(report.clean).toBe(false);
    expect(failing(report)).toEqual(['bucket_equals_last_entry', 'bucket_equals_postings']);
    const found = report.discrepancies.items.find((item) => item.check === 'bucket_equals_postings')!;
    expect(found).toMatchObject({ login: String(login), subject: 'balance', expected: '54500', found: '54600' });
    expect(found.entryIds).toHaveLength(1);
  });

  it('find an unbalanced journal entry', async () => {
    const { rows } = await target.sql.query(
      `INSERT INTO journal_entries (order_no, login, account_version, currency, operation, balance_delta_minor, credit_delta_minor,
         held_delta_minor, balance_after_minor, credit_after_minor, held_after_minor, actor_kind, actor)
       SELECT 1, login, version + 1, currency, 'forged', 100, 0, 0, balance_minor + 100, credit_minor, held_minor, 'system', 'test'
         FROM accounts WHERE login = $1 RETURNING id`,
      [login],
    );
    await target.sql.query(`INSERT INTO postings (entry_id, book, amount_minor) VALUES ($1, 'balance', 100)`, [
      rows[0].id,
    ]);
    await target.sql.query(
      `UPDATE accounts SET balance_minor = balance_minor + 100, version = version + 1 WHERE login = $1`,
      [login],
    );
    const report = await reconcile(api);
    expect(failing(report)).toEqual(['currency_sums_to_zero', 'entry_balances']);
    expect(report.discrepancies.items.find((item) => item.check === 'entry_balances')).toMatchObject({
      entryIds: [String(rows[0].id)],
      found: '100',
    });
    expect(report.discrepancies.items.find((item) => item.check === 'currency_sums_to_zero')).toMatchObject({
      subject: 'USD',
      found: '100',
    });
  });

  it('find postings of no journal entry, and entries and trades of no account', async () => {
    const { rows } = await target.sql.query(`SELECT max(id) + 1000 AS id FROM journal_entries`);
    await target.sql.query(
      `INSERT INTO postings (entry_id, book, amount_minor) VALUES ($1, 'house', 5), ($1, 'balance', -5)`,
      [rows[0].id],
    );
    const stranger = login + 1_000_000;
    await target.sql.query(
      `INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor, stake_from_credit_minor, payout_minor, close_balance_minor, closed_at)
       VALUES ('rec', 'stranger', nextval('order_numbers'), $1, 'USD', 'orphan_closed', 0, 0, 0, 0, now())`,
      [stranger],
    );
    await target.sql.query(
      `INSERT INTO journal_entries (order_no, login, account_version, currency, operation, balance_delta_minor, credit_delta_minor,
         held_delta_minor, balance_after_minor, credit_after_minor, held_after_minor, actor_kind, actor)
       VALUES (1, $1, 1, 'USD', 'forged', 0, 0, 0, 0, 0, 0, 'system', 'test')`,
      [stranger],
    );
    const report = await reconcile(api);
    expect(failing(report)).toContain('references_resolve');
    const found = report.discrepancies.items.filter((item) => item.check === 'references_resolve');
    expect(found.map((item) => [item.subject, item.expected, item.found])).toEqual([
      ['journal entry', `account ${stranger}`, 'missing'],
      ['posting balance', `entry ${rows[0].id}`, 'missing'],
      ['posting house', `entry ${rows[0].id}`, 'missing'],
      ['trade rec:stranger', `account ${stranger}`, 'missing'],
    ]);
  });

  it('find a held amount with no open trade', async () => {
    await target.sql.query(`UPDATE accounts SET held_minor = held_minor + 5000 WHERE login = $1`, [login]);
    const report = await reconcile(api);
    expect(failing(report)).toEqual(['bucket_equals_last_entry', 'bucket_equals_postings', 'held_equals_open_stakes']);
    expect(report.discrepancies.items.find((item) => item.check === 'held_equals_open_stakes')).toMatchObject({
      login: String(login),
      expected: '2500',
      found: '7500',
    });
  });

  it('find a held amount on an account that has no trade at all', async () => {
    const tradeless = await api.createAccount();
    await target.sql.query(`UPDATE accounts SET held_minor = 4000 WHERE login = $1`, [tradeless]);
    const report = await reconcile(api);
    expect(
      report.discrepancies.items.filter(
        (item) => item.check === 'held_equals_open_stakes' && item.login === String(tradeless),
      ),
    ).toEqual([expect.objectContaining({ expected: '0', found: '4000' })]);
  });

  it('make the command line exit non-zero on a discrepancy and zero on a clean ledger', async () => {
    const cli = (args: string[]) =>
      run(path.resolve('node_modules/.bin/tsx'), ['src/transports/cli/main.ts', ...args], {
        env: { ...process.env, DATABASE_URL: target.databaseUrl },
      }).then(
        (result) => ({ code: 0, stdout: result.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const clean = await cli(['reconcile', '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ clean: true });
    await target.sql.query(`UPDATE accounts SET credit_minor = credit_minor + 1 WHERE login = $1`, [login]);
    const dirty = await cli(['reconcile']);
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toMatch(/FOUND DISCREPANCIES/);
  });
});

describe('exceptions and reports', () => {
  let target: TestService;
  let api: TestApi;
  let login: number;
  let token: string;

  beforeAll(async () => {
    ({ target, api, login, token } = await serviceWithWorkload());
  });
  afterAll(async () => {
    api.close();
    await target.stop();
  });

  it('list orphan closes, stale holds, refused duplicates and sync timeouts', async () => {
    const trade = { token, currency: 'USD', externalTradeType: 'rec', externalTradeId: 'never-opened', amount: '5' };
    await api.wallet.call('closetrade', trade);
    await api.balanceOperation(login, 'sub', '1.00', 'wd-1'); // wd-1 was 20.00: refused
    await target.sql.query(
      `INSERT INTO sync_timeouts (order_no, command, ext_id) VALUES (424242, 'BalanceInSync', 'x-1')`,
    );
    const report = await reconcile(api, '?staleHoldAgeS=0');
    expect(report.clean).toBe(true);
    expect(report.exceptions.orphanCloses.items).toEqual([
      expect.objectContaining({ trade_id: 'never-opened', amount_minor: '500' }),
    ]);
    expect(report.exceptions.staleHolds.items).toEqual([
      expect.objectContaining({ trade_id: 'open', amount_minor: '2500' }),
    ]);
    expect(report.exceptions.refusedDuplicates.items).toEqual([
      expect.objectContaining({ idempotency_key: 'wd-1', source: 'admin' }),
    ]);
    expect(report.exceptions.syncTimeouts.items).toEqual([
      expect.objectContaining({ order_no: '424242', outcome: 'not applied' }),
    ]);
    expect((await reconcile(api)).exceptions.staleHolds.count).toBe(0); // younger than the default age
  });

  it('list refused duplicates in the order they were refused, past the tenth', async () => {
    // one referenceId reused with eleven other amounts: eleven refusals, ids from one digit to two
    const own = await api.createAccount();
    expect((await api.balanceOperation(own, 'add', '1.00', 'dup-order')).status).toBe(200);
    for (let attempt = 2; attempt <= 12; attempt += 1) {
      expect((await api.balanceOperation(own, 'add', `${attempt}.00`, 'dup-order')).status).toBe(409);
    }
    const listed = (await reconcile(api)).exceptions.refusedDuplicates.items as Array<{
      id: string;
      idempotency_key: string;
    }>;
    const ids = listed.map((item) => BigInt(item.id));
    expect(listed.filter((item) => item.idempotency_key === 'dup-order')).toHaveLength(11);
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('give a statement whose closing balance is the account bucket, as JSON and as CSV of numbers', async () => {
    const account = await api.account(login);
    const json = await api.admin('GET', `/admin/accounts/${login}/statement?from=2000-01-01`);
    expect(json.status).toBe(200);
    const statement = json.body as {
      opening: Record<string, string>;
      entries: Array<{ balance_after: string }>;
      closing: Record<string, string>;
    };
    expect(statement.opening).toEqual({ balance: '0.00', credit: '0.00', held: '0.00' });
    expect(statement.closing).toEqual({ balance: account.balance, credit: account.credit, held: account.held });
    expect(statement.entries).toHaveLength(9);

    const csv = await api.admin('GET', `/admin/accounts/${login}/statement?from=2000-01-01&format=csv`);
    const { rows: audited } = await target.sql.query(
      `SELECT actor, action, target, detail->>'format' AS format, detail->>'from' AS from FROM audit_log ORDER BY id DESC LIMIT 1`,
    );
    expect(audited[0]).toEqual({
      actor: 'admin-api',
      action: 'statement.download',
      target: String(login),
      format: 'csv',
      from: '2000-01-01T00:00:00.000Z',
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    expect(lines[0]).toMatchObject({ line: 'opening', balance: '0.00' });
    expect(lines.at(-1)).toMatchObject({
      line: 'closing',
      balance: account.balance,
      credit: account.credit,
      held: account.held,
    });
    expect(csv.text).toMatch(/,545\.00,/); // unquoted decimals: a spreadsheet reads them as numbers
    // a period that ends before the account existed: opening and closing are zero
    const before = await api.admin('GET', `/admin/accounts/${login}/statement?from=2000-01-01&to=2000-02-01`);
    expect(before.body).toMatchObject({ entries: [], closing: { balance: '0.00' } });
  });

  it('total each operation per day and currency, and export every posting', async () => {
    const totals = await api.admin('GET', '/admin/reports/daily-totals');
    const rows = (
      totals.body as { totals: Array<{ operation: string; entries: number; balance: string; held: string }> }
    ).totals;
    expect(rows.find((row) => row.operation === 'trade_open')).toMatchObject({
      entries: 3,
      balance: '-185.00',
      held: '185.00',
    });
    expect(rows.find((row) => row.operation === 'balance_in')).toMatchObject({ entries: 1, balance: '70.00' });

    const exported = await api.admin('GET', '/admin/ledger/export');
    const postings = parse(exported.text, { columns: true }) as Array<Record<string, string>>;
    const { rows: counted } = await target.sql.query(`SELECT count(*)::int AS n FROM postings`);
    expect(postings).toHaveLength(counted[0].n);
    const sum = postings.reduce((total, row) => total + BigInt(row.amount!.replace('.', '')), 0n);
    expect(sum).toBe(0n);
    // the download is in the audit log, as a console user's would be
    const { rows: audited } = await target.sql.query(
      `SELECT actor, action, target, detail ? 'from' AS has_period FROM audit_log ORDER BY id DESC LIMIT 1`,
    );
    expect(audited[0]).toEqual({ actor: 'admin-api', action: 'ledger.export', target: null, has_period: true });
  });

  it('reject a period that is not a period', async () => {
    expect((await api.admin('GET', '/admin/reports/daily-totals?from=yesterday')).status).toBe(400);
    expect((await api.admin('GET', '/admin/ledger/export?from=2026-02-01&to=2026-01-01')).status).toBe(400);
  });

  it('refuse impossible dates rather than rolling them into the next month', async () => {
    for (const date of ['2026-02-30', '2026-13-01', '2025-02-29', '2026-04-31']) {
      const response = await api.admin('GET', `/admin/reports/daily-totals?from=${date}`);
      expect(response).toMatchObject({
        status: 400,
        body: { error: 'INVALID_REQUEST', message: expect.stringContaining(date) },
      });
    }
    expect((await api.admin('GET', '/admin/reports/daily-totals?from=2024-02-29&to=2024-02-29')).status).toBe(200);
  });

  it('include the day named by to: from=D&to=D is that whole day', async () => {
    const { rows } = await target.sql.query(
      `SELECT to_char(min(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first, to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS last
         FROM journal_entries WHERE login = $1`,
      [login],
    );
    const day = await api.admin('GET', `/admin/accounts/${login}/statement?from=${rows[0].first}&to=${rows[0].last}`);
    expect(day.status).toBe(200);
    const all = await api.admin('GET', `/admin/accounts/${login}/statement?from=2000-01-01`);
    expect((day.body as { entries: unknown[] }).entries).toHaveLength(
      (all.body as { entries: unknown[] }).entries.length,
    );
  });
});

describe('matching external records', () => {
  let target: TestService;
  let api: TestApi;
  let login: number;

  beforeAll(async () => {
    ({ target, api, login } = await serviceWithWorkload());
  });
  afterAll(async () => {
    api.close();
    await target.stop();
  });

  const providerCsv = [
    'ref,value,ccy,when',
    `psp-1,70.00,USD,${new Date().toISOString()}`, // matched (manager deposit)
    `wd-1,19.99,USD,${new Date().toISOString()}`, // the withdrawal was 20.00: mismatch unless drift >= 1
    `psp-missing,5,USD,${new Date().toISOString()}`, // not in the ledger
    'broken,abc,USD,',
  ].join('\n');
  const columns = 'referenceColumn=ref&amountColumn=value&currencyColumn=ccy&dateColumn=when';

  it('refuses a file with a record longer than MATCH_RECORD_CHARS_MAX as unreadable, and keeps no run', async () => {
    const runsBefore = await target.sql.query(`SELECT count(*)::int AS runs FROM reconciliation_runs`);
    const huge = `reference,amount,currency,date\n${'x'.repeat(MATCH_RECORD_CHARS_MAX + 1)},1,USD,2026-11-01\n`;
    const response = await api.http.request('POST', '/admin/reconciliation/match', huge, {
      Authorization: `Bearer ${target.config.adminApiKey}`,
      'Content-Type': 'text/csv',
    });
    expect(response).toMatchObject({
      status: 400,
      body: { error: 'INVALID_REQUEST', message: expect.stringContaining('not readable CSV') },
    });
    expect((await target.sql.query(`SELECT count(*)::int AS runs FROM reconciliation_runs`)).rows).toEqual(
      runsBefore.rows,
    );
  });

  it('reports matched, mismatched and missing records on both sides, and keeps a dry run in the history', async () => {
    const response = await api.http.request('POST', `/admin/reconciliation/match?${columns}`, providerCsv, {
      Authorization: `Bearer ${target.config.adminApiKey}`,
      'Content-Type': 'text/csv',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      dryRun: true,
      runId: expect.any(String),
      fileRows: 4,
      counts: { matched: 1, amount_mismatch: 1, missing_in_ledger: 1, missing_in_file: 1 },
      invalidRows: { count: 1 },
    });
    const exceptions = (response.body as { exceptions: { items: Array<{ outcome: string; reference: string }> } })
      .exceptions.items;
    expect(exceptions.map((item) => [item.outcome, item.reference]).sort()).toEqual([
      ['amount_mismatch', 'wd-1'],
      ['missing_in_file', 'bonus-1'],
      ['missing_in_ledger', 'psp-missing'],
    ]);
    const { rows } = await target.sql.query(`SELECT id::text, dry_run, actor FROM reconciliation_runs`);
    expect(rows).toEqual([{ id: (response.body as { runId: string }).runId, dry_run: true, actor: 'admin-api' }]);
  });

  it('matches within the allowed drift and saves an applied run; the command line does the same', async () => {
    const response = await api.http.request(
      'POST',
      `/admin/reconciliation/match?${columns}&driftMinor=1&dryRun=false`,
      providerCsv,
      {
        Authorization: `Bearer ${target.config.adminApiKey}`,
      },
    );
    expect(response.body).toMatchObject({ dryRun: false, counts: { matched: 2, amount_mismatch: 0 } });
    const { rows } = await target.sql.query(
      `SELECT outcome, count(*)::int AS n FROM reconciliation_matches WHERE run_id = $1 GROUP BY 1 ORDER BY 1`,
      [(response.body as { runId: string }).runId],
    );
    expect(rows).toEqual([
      { outcome: 'matched', n: 2 },
      { outcome: 'missing_in_file', n: 1 },
      { outcome: 'missing_in_ledger', n: 1 },
    ]);

    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'match-')), 'provider.csv');
    writeFileSync(file, providerCsv);
    const result = await run(
      path.resolve('node_modules/.bin/tsx'),
      [
        'src/transports/cli/main.ts',
        'match',
        file,
        '--reference-column',
        'ref',
        '--amount-column',
        'value',
        '--currency-column',
        'ccy',
        '--date-column',
        'when',
        '--json',
      ],
      { env: { ...process.env, DATABASE_URL: target.databaseUrl } },
    ).catch((error: { code: number; stdout: string }) => error);
    expect((result as { code?: number }).code).toBe(1);
    expect(JSON.parse((result as { stdout: string }).stdout)).toMatchObject({
      dryRun: true,
      counts: { matched: 1, amount_mismatch: 1 },
    });
    expect(login).toBeGreaterThan(0);
  });
});
