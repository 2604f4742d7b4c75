import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { AdminClient } from '@wallet-service/client';
import { useTestService, type TestApi } from '../../support/api';
import { runEntryPoint } from '../../support/entry-points';
import type { TestService } from '../../support/test-service';
import { parseMinorUnits } from '../../../src/core/money/amount';
import { requireCurrency } from '../../../src/core/money/currency';

/**
 * The history of reconciliation and matching runs over real sockets: every run kept with who ran it
 * and its period, reopened as it was answered; a discrepancy's entries through the drill-down; a
 * match run's totals and its items as CSV; one-to-many and many-to-one matching.
 */

let target: TestService;
let api: TestApi;
useTestService((started) => ({ target, api } = started));

interface Run {
  id: string;
  kind: string;
  actor: string;
  createdAt: string;
  dryRun: boolean | null;
  period: { from: string; to: string };
  options: Record<string, unknown>;
  summary: Record<string, unknown>;
}
interface Page {
  items: Run[];
  nextCursor: string | null;
}
interface Item {
  outcome: string;
  match: string;
  reference: string;
  currency: string;
  fileAmount: string | null;
  ledgerAmount: string | null;
  lines: number[];
  parts?: Array<{ side: string; reference: string; line: number | null; amount: string | null }>;
  detail?: string;
}
interface MatchReport {
  runId: string;
  counts: Record<string, number>;
  totals: Array<{ currency: string; outcome: string; count: number; fileAmount: string; ledgerAmount: string }>;
  exceptions: { items: Item[] };
  invalidRows: { items: string[] };
}

function match(csv: string, query: string) {
  return api.http.request('POST', `/admin/reconciliation/match?${query}`, csv, {
    Authorization: `Bearer ${target.config.adminApiKey}`,
    'Content-Type': 'text/csv',
  });
}

async function cli(args: string[]) {
  return runEntryPoint('src/transports/cli/main.ts', args, { env: { DATABASE_URL: target.databaseUrl } });
}

async function runs(query = ''): Promise<Run[]> {
  const response = await api.admin('GET', `/admin/reconciliation/runs${query}`);
  expect(response.status).toBe(200);
  return (response.body as Page).items;
}

describe('the history of runs', () => {
  it('keeps every run, newest first, with who ran it and the period, and reopens each as it was answered', async () => {
    const reconciled = await api.admin('GET', '/admin/reconciliation?from=2026-01-01&to=2026-01-31&staleHoldAgeS=3600');
    expect(reconciled.status).toBe(200);
    const matched = await match('reference,amount,currency,date\nnot-there,1.00,USD,2026-11-01\n', 'dryRun=true');
    expect(matched.status).toBe(200);
    const byCli = await cli(['reconcile', '--json']);
    expect(byCli.code).toBe(0);
    const cliReport = JSON.parse(byCli.stdout) as { runId: string };

    const listed = await runs();
    expect(listed.slice(0, 3).map((run) => [run.id, run.kind, run.actor, run.dryRun])).toEqual([
      [cliReport.runId, 'reconciliation', `cli:${os.userInfo().username}`, null],
      [(matched.body as MatchReport).runId, 'match', 'admin-api', true],
      [(reconciled.body as { runId: string }).runId, 'reconciliation', 'admin-api', null],
    ]);
    expect(listed[2]).toMatchObject({
      period: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
      options: { staleHoldAgeS: 3600 },
      summary: { clean: true, discrepancies: 0 },
    });
    expect(Date.parse(listed[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(listed[2]!.createdAt));
    expect(await runs('?kind=match')).toEqual([listed[1]]);
    // each run is in the audit log too, under the same actor, whichever door it came by
    const { rows: audited } = await target.sql.query(
      `SELECT actor, action, detail->>'runId' AS run FROM audit_log WHERE detail->>'runId' = ANY ($1) ORDER BY id`,
      [listed.slice(0, 3).map((run) => run.id)],
    );
    expect(audited).toEqual(
      listed
        .slice(0, 3)
        .reverse()
        .map((run) => ({ actor: run.actor, action: `${run.kind}.run`, run: run.id })),
    );

    for (const [run, answer] of [
      [listed[2]!, reconciled.body],
      [listed[1]!, matched.body],
      [listed[0]!, cliReport],
    ] as const) {
      const reopened = await api.admin('GET', `/admin/reconciliation/runs/${run.id}`);
      expect(reopened.status).toBe(200);
      expect(reopened.body).toEqual({ ...run, result: answer });
    }

    const shown = await cli(['runs', 'show', cliReport.runId, '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ ...listed[0], result: cliReport });
    const listedByCli = await cli(['runs', '--kind', 'match', '--json']);
    expect(JSON.parse(listedByCli.stdout)).toEqual({ items: [listed[1]] });
    expect((await cli(['runs', 'show', '999999'])).code).toBe(2);
    expect((await cli(['runs', '--kind', 'other'])).code).toBe(2);
  });

  it('lists runs by their number past the tenth, not by its text ("9" after "12")', async () => {
    while ((await runs('?limit=100')).length < 12) {
      expect(
        (await match('reference,amount,currency,date\nnot-there,1.00,USD,2026-11-01\n', 'dryRun=true')).status,
      ).toBe(200);
    }
    const ids = (await runs('?limit=100')).map((run) => BigInt(run.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
  });

  it('pages newest first within bounds, and answers 404 for what does not exist', async () => {
    const all = await runs('?limit=100');
    expect(all.length).toBeGreaterThanOrEqual(3);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await api.admin(
        'GET',
        `/admin/reconciliation/runs?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      const page = response.body as Page;
      expect(page.items).toHaveLength(1);
      walked.push(page.items[0]!.id);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(walked).toEqual(all.map((run) => run.id));
    expect(walked.map(BigInt)).toEqual([...walked.map(BigInt)].sort((a, b) => (a > b ? -1 : 1)));

    for (const query of ['?limit=0', '?limit=101', '?kind=audit', '?cursor=nonsense', '?offset=1']) {
      const response = await api.admin('GET', `/admin/reconciliation/runs${query}`);
      expect({ query, status: response.status, error: (response.body as { error: string }).error }).toEqual({
        query,
        status: 400,
        error: 'INVALID_REQUEST',
      });
    }
    const reconciliationRun = all.find((run) => run.kind === 'reconciliation')!;
    for (const [path, status] of [
      ['/admin/reconciliation/runs/999999', 404],
      ['/admin/reconciliation/runs/0', 400],
      ['/admin/reconciliation/runs/abc', 400],
      ['/admin/reconciliation/runs/999999/items.csv', 404],
      [`/admin/reconciliation/runs/${reconciliationRun.id}/items.csv`, 404],
      ['/admin/ledger/entries/999999999', 404],
      ['/admin/ledger/entries/-1', 400],
    ] as const) {
      const response = await api.admin('GET', path);
      expect({ path, status: response.status }).toEqual({ path, status });
    }
    expect((await api.admin('GET', '/admin/reconciliation/runs', undefined, 'wrong-key-0123456789abcdef')).status).toBe(
      401,
    );
  });
});

describe('drill-down', () => {
  it('leads from a discrepancy of a kept run to its entries, with their postings and account', async () => {
    const login = await api.createAccount();
    await api.deposit(login, '12.34');
    await target.sql.query('UPDATE accounts SET balance_minor = balance_minor + 1 WHERE login = $1', [login]);
    let runId: string;
    try {
      const report = await api.admin('GET', '/admin/reconciliation');
      expect(report.body).toMatchObject({ clean: false });
      runId = (report.body as { runId: string }).runId;
    } finally {
      await target.sql.query('UPDATE accounts SET balance_minor = balance_minor - 1 WHERE login = $1', [login]);
    }
    const reopened = (await api.admin('GET', `/admin/reconciliation/runs/${runId}`)).body as {
      summary: { clean: boolean; discrepancies: number };
      result: {
        discrepancies: { count: number; items: Array<{ login: string; subject: string; entryIds: string[] }> };
      };
    };
    expect(reopened.summary).toMatchObject({ clean: false, discrepancies: reopened.result.discrepancies.count });
    const ofAccount = reopened.result.discrepancies.items.filter((discrepancy) => discrepancy.login === String(login));
    expect(ofAccount.length).toBeGreaterThan(0);
    for (const discrepancy of ofAccount) {
      expect(discrepancy.entryIds.length).toBeGreaterThan(0);
      for (const id of discrepancy.entryIds) {
        const entry = await api.admin('GET', `/admin/ledger/entries/${id}`);
        expect(entry.status).toBe(200);
        expect(entry.body).toMatchObject({
          id: Number(id),
          login,
          currency: 'USD',
          operation: 'add',
          balanceChange: '12.34',
          postings: [
            { book: 'balance', amount: '12.34' },
            { book: 'cash', amount: '-12.34' },
          ],
        });
      }
    }
  });
});

describe('matching: groups, totals and the items CSV', () => {
  const FORMULA = '=HYPERLINK("http://evil.example","x")';
  let usd: number;

  beforeAll(async () => {
    usd = await api.createAccount('USD');
    const eur = await api.createAccount('EUR');
    const deposits: Array<[number, string, string]> = [
      [usd, 'dep-1', '100.00'],
      [usd, 'dep-2', '200.00'],
      [usd, 'dep-3', '50.00'],
      [usd, 'dep-4', '10.00'],
      [usd, 'dep-5', '20.00'],
      [usd, 'part-9', '100.00'],
      [usd, 'part-8', '100.00'],
      [usd, FORMULA, '5.00'],
      [usd, 'single-0', '7.00'],
      [eur, 'eur-1', '10.00'],
    ];
    for (const [login, reference, amount] of deposits) {
      expect((await api.balanceOperation(login, 'add', amount, reference)).status).toBe(200);
    }
  });

  const file = [
    'ref,value,ccy',
    'dep-1; dep-2,300.00,USD', // one to many, sums right
    'dep-3;dep-4,70.00,USD', // one to many, 60.00 in the ledger
    'dep-5;nope-1,25.00,USD', // one to many, a member missing
    'part-9,30.00,USD', // many to one (with the next), sums right
    'part-9,70.00,USD',
    'part-8,30.00,USD', // many to one, 90.00 against 100.00
    'part-8,60.00,USD',
    'part-7,10.00,USD', // many to one, nothing in the ledger
    'part-7,5.00,USD',
    `"${FORMULA.replace(/"/g, '""')}",5.00,USD`, // one to one, a formula-looking reference
    'eur-1,10.00,EUR',
    'single-1,1.00,USD', // one to one, not in the ledger
    'part-9;dep-1,1.00,USD', // refused: its references belong to other groups
    'part-6,1.00,USD',
    'part-6,1.00,EUR', // refused: another currency than its group's
  ].join('\n');
  const columns = 'referenceColumn=ref&amountColumn=value&currencyColumn=ccy';

  it('matches one to many and many to one: summed right, wrong, and with members missing', async () => {
    const response = await match(file, `${columns}&referenceDelimiter=;&sumRepeated=true&dryRun=false`);
    expect(response.status).toBe(200);
    const report = response.body as MatchReport;
    expect(report.invalidRows.items).toEqual([
      'line 14: reference part-9 appears twice',
      'line 16: currency EUR, other rows of reference part-6 are USD',
    ]);
    const item = (reference: string) => report.exceptions.items.find((candidate) => candidate.reference === reference);
    expect(item('dep-1; dep-2')).toBeUndefined(); // matched: not an exception
    expect(item('dep-3;dep-4')).toMatchObject({
      outcome: 'amount_mismatch',
      match: 'one-to-many',
      fileAmount: '70.00',
      ledgerAmount: '60.00',
      lines: [3],
      detail: 'differs by 1000 minor units',
    });
    expect(item('dep-5;nope-1')).toEqual({
      outcome: 'partially_missing',
      match: 'one-to-many',
      reference: 'dep-5;nope-1',
      currency: 'USD',
      externalMinor: '2500',
      ledgerMinor: '2000',
      fileAmount: '25.00',
      ledgerAmount: '20.00',
      lines: [4],
      parts: [
        { side: 'file', reference: 'dep-5;nope-1', line: 4, currency: 'USD', amount: '25.00' },
        { side: 'ledger', reference: 'dep-5', line: null, currency: 'USD', amount: '20.00' },
        { side: 'ledger', reference: 'nope-1', line: null, currency: null, amount: null },
      ],
      detail: 'not in the ledger: nope-1',
    });
    expect(item('part-8')).toMatchObject({
      outcome: 'amount_mismatch',
      match: 'many-to-one',
      fileAmount: '90.00',
      ledgerAmount: '100.00',
      lines: [7, 8],
    });
    expect(item('part-7')).toMatchObject({
      outcome: 'missing_in_ledger',
      match: 'many-to-one',
      fileAmount: '15.00',
      ledgerAmount: null,
      lines: [9, 10],
    });
    expect(item('single-1')).toMatchObject({
      outcome: 'missing_in_ledger',
      match: 'one-to-one',
      fileAmount: '1.00',
      lines: [13],
    });
    expect(item('part-6')).toMatchObject({
      outcome: 'missing_in_ledger',
      match: 'one-to-one',
      fileAmount: '1.00',
      lines: [15],
    });
    expect(item('single-0')).toMatchObject({ outcome: 'missing_in_file', ledgerAmount: '7.00', lines: [] });
    // dep-1;dep-2, part-9, the formula and eur-1
    expect(report.counts).toMatchObject({ matched: 4, amount_mismatch: 2, partially_missing: 1, missing_in_ledger: 3 });
  });

  it('totals per currency and outcome are the sums over the items of the CSV, whose text cannot run as a formula', async () => {
    const response = await match(file, `${columns}&referenceDelimiter=;&sumRepeated=true`);
    const report = response.body as MatchReport;
    const csv = await api.http.request('GET', `/admin/reconciliation/runs/${report.runId}/items.csv`, null, {
      Authorization: `Bearer ${target.config.adminApiKey}`,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="match-run-${report.runId}.csv"`);
    const { rows: audited } = await target.sql.query(
      `SELECT actor, action, target FROM audit_log ORDER BY id DESC LIMIT 1`,
    );
    expect(audited[0]).toEqual({ actor: 'admin-api', action: 'match.items.download', target: String(report.runId) });
    const lines = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    const itemsCount = Object.values(report.counts).reduce((sum, count) => sum + count, 0);
    expect(lines).toHaveLength(itemsCount);
    expect(lines.map((line) => line.item)).toEqual(lines.map((_, index) => String(index + 1)));

    const formula = lines.find((line) => line.reference.includes('HYPERLINK'))!;
    expect(formula).toMatchObject({
      reference: `'${FORMULA}`,
      outcome: 'matched',
      file_amount: '5.00',
      ledger_amount: '5.00',
      difference: '0.00',
    });
    expect(lines.find((line) => line.reference === 'dep-3;dep-4')).toMatchObject({
      match: 'one-to-many',
      file_amount: '70.00',
      ledger_amount: '60.00',
      difference: '10.00',
      file_lines: '3',
      parts: 'line 3=70.00; dep-3=50.00; dep-4=10.00',
    });
    expect(lines.find((line) => line.reference === 'dep-5;nope-1')).toMatchObject({
      outcome: 'partially_missing',
      parts: 'line 4=25.00; dep-5=20.00; nope-1=missing',
    });
    expect(lines.find((line) => line.reference === 'part-9')).toMatchObject({
      match: 'many-to-one',
      outcome: 'matched',
      file_lines: '5 6',
      parts: 'line 5=30.00; line 6=70.00; part-9=100.00',
    });
    for (const line of lines) {
      for (const amount of [line.file_amount, line.ledger_amount, line.difference])
        expect(amount).toMatch(/^(-?\d+\.\d{2})?$/);
    }

    // the totals, summed again from the CSV's lines in minor units
    const sums = new Map<string, { count: number; file: bigint; ledger: bigint }>();
    for (const line of lines) {
      const scale = requireCurrency(line.currency!).scale;
      const key = `${line.currency} ${line.outcome}`;
      const sum = sums.get(key) ?? { count: 0, file: 0n, ledger: 0n };
      sum.count += 1;
      sum.file += line.file_amount ? parseMinorUnits(line.file_amount, scale) : 0n;
      sum.ledger += line.ledger_amount ? parseMinorUnits(line.ledger_amount, scale) : 0n;
      sums.set(key, sum);
    }
    expect(
      report.totals
        .map((total) => [
          total.currency,
          total.outcome,
          total.count,
          parseMinorUnits(total.fileAmount, 2),
          parseMinorUnits(total.ledgerAmount, 2),
        ])
        .sort(),
    ).toEqual([...sums.entries()].map(([key, sum]) => [...key.split(' '), sum.count, sum.file, sum.ledger]).sort());
    expect(report.totals).toContainEqual({
      currency: 'EUR',
      outcome: 'matched',
      count: 1,
      fileAmount: '10.00',
      ledgerAmount: '10.00',
    });
    expect(report.totals).toContainEqual({
      currency: 'USD',
      outcome: 'partially_missing',
      count: 1,
      fileAmount: '25.00',
      ledgerAmount: '20.00',
    });

    // kept in the history: the run's summary has the same totals
    const reopened = (await api.admin('GET', `/admin/reconciliation/runs/${report.runId}`)).body as Run & {
      result: MatchReport;
    };
    expect(reopened.summary).toMatchObject({ totals: report.totals, counts: report.counts });
    expect(reopened.options).toMatchObject({ referenceDelimiter: ';', sumRepeated: true, driftMinor: '0' });
    expect(reopened.result).toEqual(report);
  });

  it('without the grouping options, the same file is matched one to one as before', async () => {
    const report = (await match(file, columns)).body as MatchReport;
    expect(report.invalidRows.items).toEqual([
      'line 6: reference part-9 appears twice',
      'line 8: reference part-8 appears twice',
      'line 10: reference part-7 appears twice',
      'line 16: reference part-6 appears twice',
    ]);
    const outcomes = Object.fromEntries(
      report.exceptions.items
        .filter((item) => item.outcome !== 'missing_in_file')
        .map((item) => [item.reference, item.outcome]),
    );
    expect(outcomes).toEqual({
      'dep-1; dep-2': 'missing_in_ledger',
      'dep-3;dep-4': 'missing_in_ledger',
      'dep-5;nope-1': 'missing_in_ledger',
      'part-9;dep-1': 'missing_in_ledger',
      'part-9': 'amount_mismatch',
      'part-8': 'amount_mismatch',
      'part-7': 'missing_in_ledger',
      'part-6': 'missing_in_ledger',
      'single-1': 'missing_in_ledger',
    });
    expect(report.counts.partially_missing).toBe(0);
    expect(report.exceptions.items.every((item) => item.match === 'one-to-one')).toBe(true);
  });

  it('the command line matches with the same rules and records its run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'match-groups-'));
    const csvFile = path.join(dir, 'provider.csv');
    writeFileSync(csvFile, 'reference,amount,currency\ndep-1|dep-2,300.00,USD\n');
    const result = await cli(['match', csvFile, '--reference-delimiter', '|', '--sum-repeated', '--json']);
    const report = JSON.parse(result.stdout) as MatchReport & { dryRun: boolean };
    expect(report).toMatchObject({
      dryRun: true,
      counts: { matched: 1, amount_mismatch: 0, partially_missing: 0, missing_in_ledger: 0 },
    });
    const [latest] = await runs('?limit=1');
    expect(latest).toMatchObject({
      id: report.runId,
      kind: 'match',
      actor: `cli:${os.userInfo().username}`,
      dryRun: true,
    });
  });
});

describe('the SDK', () => {
  it('lists, reopens and downloads runs, and reads an entry', async () => {
    const admin = new AdminClient(target.baseUrl, target.config.adminApiKey);
    const login = await api.createAccount();
    await api.balanceOperation(login, 'add', '1.00', `sdk-${login}-a`);
    await api.balanceOperation(login, 'add', '2.50', `sdk-${login}-b`);
    const report = await admin.matchExternalRecords({
      csv: `reference,amount,currency\nsdk-${login}-a;sdk-${login}-b,3.50,USD\n`,
      referenceDelimiter: ';',
      dryRun: 'false',
    });
    await admin.reconcile();
    const runs = [];
    for await (const run of admin.runs({ kind: 'match', pageSize: 1 })) runs.push(run);
    expect(runs[0]).toMatchObject({ id: report.runId, kind: 'match', actor: 'admin-api', dryRun: false });
    expect(runs).toEqual((await admin.listRuns({ kind: 'match', limit: 100 })).items);
    expect((await admin.getRun({ id: report.runId })).result).toEqual(report);
    expect(await admin.matchRunItemsCsv({ id: report.runId })).toContain(
      `1,matched,one-to-many,sdk-${login}-a;sdk-${login}-b,USD,3.50,3.50,0.00,2,line 2=3.50; sdk-${login}-a=1.00; sdk-${login}-b=2.50,`,
    );
    const [entry] = (await admin.listTransactions({ login })).items;
    expect(await admin.getJournalEntry({ id: entry!.id })).toEqual({ ...entry, login });
  });
});
