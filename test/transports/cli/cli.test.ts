import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestApi } from '../../support/api';
import { runEntryPoint, type EntryPointRun } from '../../support/entry-points';
import { startTestService, type TestService } from '../../support/test-service';

/**
 * The finance CLI as cron runs it: the real process, exit code 0 all good, 1 findings, 2 could not
 * run (with one line on stderr), in the default setup (the embedded PostgreSQL under DATA_DIR), with
 * DATABASE_URL, and with DATABASE_URL in a `.env` of the working directory.
 */

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_ERROR = 2;
const VERSION = (
  JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }
).version;

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-cli-'));
  chmodSync(workDir, 0o755); // the embedded server runs as the postgres user when we are root
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function expectCouldNotRun(run: EntryPointRun, line: RegExp): void {
  expect(run.code).toBe(EXIT_ERROR);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr.trim()).toMatch(line);
}

describe('in the default setup (no DATABASE_URL: the embedded PostgreSQL)', () => {
  const cli = (args: string[], options: { closeStdout?: boolean } = {}) =>
    runEntryPoint('src/transports/cli/main.ts', args, {
      cwd: workDir,
      env: { DATA_DIR: path.join(workDir, 'data') },
      ...options,
    });

  it('exits 0 on a clean ledger and 1 on findings', async () => {
    const clean = await cli(['reconcile', '--json']);
    expect(clean.code).toBe(EXIT_OK);
    expect(JSON.parse(clean.stdout)).toMatchObject({ clean: true, replicaLagS: null });

    const file = path.join(workDir, 'provider.csv');
    writeFileSync(file, 'reference,amount,currency,date\npsp-unknown,10.00,USD,2026-11-30\n');
    const match = await cli(['match', file, '--json']);
    expect(match.code).toBe(EXIT_FINDINGS);
    expect(JSON.parse(match.stdout)).toMatchObject({ counts: { missing_in_ledger: 1 } });
  });

  it('exits 2 with one line when it cannot run', async () => {
    expectCouldNotRun(await cli(['statement', '--login', '424242']), /^wallet-cli: account 424242 does not exist$/);
    expectCouldNotRun(await cli(['statement', '--login', 'abc']), /^wallet-cli: --login must be a positive integer$/);
    expectCouldNotRun(await cli(['totals', '--from', '2026-02-30']), /not a real date: 2026-02-30/);
    expectCouldNotRun(
      await cli(['match', path.join(workDir, 'missing.csv')]),
      /^wallet-cli: no such file or directory: .*missing\.csv$/,
    );
    expectCouldNotRun(
      await cli(['export', '--out', path.join(workDir, 'no-dir', 'ledger.csv')]),
      /^wallet-cli: no such file or directory: .*no-dir/,
    );
    expectCouldNotRun(await cli(['reconcile', '--colour']), /unknown option '--colour'/);
    expectCouldNotRun(
      await cli(['export', '--from', '2000-01-01'], { closeStdout: true }),
      /^wallet-cli: the output was closed before the end \(EPIPE\)$/,
    );
  });

  it('prints its version and its help with exit 0', async () => {
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: EXIT_OK, stdout: `${VERSION}\n` });
    const help = await cli(['--help']);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('Exit codes: 0 all good, 1 findings, 2 could not run');
  });
});

describe('with DATABASE_URL, from the environment or from .env', () => {
  let target: TestService;
  let login: number;

  beforeAll(async () => {
    target = await startTestService();
    ({ login } = await new TestApi(target).player('250.00'));
  });
  afterAll(() => target.stop());

  const cli = (args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
    runEntryPoint('src/transports/cli/main.ts', args, {
      cwd: options.cwd ?? workDir,
      env: { DATA_DIR: path.join(workDir, 'unused'), ...options.env },
    });

  it('exports every command as JSON with --json', async () => {
    const env = { DATABASE_URL: target.databaseUrl };
    const statement = await cli(['statement', '--login', String(login), '--json'], { env });
    expect(statement.code).toBe(EXIT_OK);
    expect(JSON.parse(statement.stdout)).toMatchObject({
      login: String(login),
      currency: 'USD',
      closing: { balance: '250.00' },
    });
    const ledger = await cli(['export', '--json'], { env });
    const postings = ledger.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { login: string; book: string; amount: string });
    expect(
      postings
        .filter((posting) => posting.login === String(login))
        .map((posting) => [posting.book, posting.amount])
        .sort(),
    ).toEqual([
      ['balance', '250.00'],
      ['cash', '-250.00'],
    ]);
    // downloads of ledger data are in the audit log, as the console's and the admin API's are
    const { rows: audited } = await target.sql.query(
      `SELECT actor, action, target, detail->>'format' AS format FROM audit_log WHERE actor LIKE 'cli:%' ORDER BY id`,
    );
    expect(audited.map(({ action, target: what, format }) => [action, what, format])).toEqual([
      ['statement.download', String(login), 'json'],
      ['ledger.export', null, 'jsonl'],
    ]);
    const totals = await cli(['totals', '--json'], { env });
    expect(JSON.parse(totals.stdout)).toMatchObject({
      totals: [expect.objectContaining({ currency: 'USD', operation: 'add', balance: '250.00' })],
    });
  });

  it('creates the first console admin, reading the password from standard input, and lists the users', async () => {
    const env = { DATABASE_URL: target.databaseUrl };
    const created = await runEntryPoint(
      'src/transports/cli/main.ts',
      ['users', 'create', '--username', 'first-admin', '--role', 'admin', '--json'],
      {
        cwd: workDir,
        env,
        input: 'the first admin password\n',
      },
    );
    expect(created.code).toBe(EXIT_OK);
    expect(JSON.parse(created.stdout)).toMatchObject({
      username: 'first-admin',
      role: 'admin',
      disabled: false,
      createdBy: expect.stringMatching(/^cli:/),
    });
    const signIn = await fetch(`${target.baseUrl}/console/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'first-admin', password: 'the first admin password' }),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const short = await runEntryPoint(
      'src/transports/cli/main.ts',
      ['users', 'create', '--username', 'second', '--role', 'viewer'],
      { cwd: workDir, env, input: 'short\n' },
    );
    expectCouldNotRun(short, /^wallet-cli: a password is 12 to 256 characters$/);
    const list = await cli(['users', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual({
      items: [expect.objectContaining({ username: 'first-admin', role: 'admin' })],
    });
  });

  it('reads DATABASE_URL from .env: 1 on a corrupted ledger, 2 on an unreachable server', async () => {
    const project = mkdtempSync(path.join(workDir, 'project-'));
    chmodSync(project, 0o755);
    writeFileSync(path.join(project, '.env'), `DATABASE_URL=${target.databaseUrl}\n`);
    await target.sql.query('UPDATE accounts SET balance_minor = balance_minor + 1 WHERE login = $1', [login]);
    try {
      const corrupted = await cli(['reconcile'], { cwd: project });
      expect(corrupted.code).toBe(EXIT_FINDINGS);
      expect(corrupted.stdout).toContain('Reconciliation FOUND DISCREPANCIES');
      expect(corrupted.stderr).toContain(`account ${login}`);
    } finally {
      await target.sql.query('UPDATE accounts SET balance_minor = balance_minor - 1 WHERE login = $1', [login]);
    }
    writeFileSync(path.join(project, '.env'), 'DATABASE_URL=postgres://wallet:secret@127.0.0.1:1/wallet\n');
    expectCouldNotRun(
      await cli(['reconcile'], { cwd: project }),
      /^wallet-cli: cannot use PostgreSQL at 127\.0\.0\.1:1\/wallet \(DATABASE_URL\): connection refused/,
    );
    // the environment wins over .env, as for the service
    expect((await cli(['reconcile'], { cwd: project, env: { DATABASE_URL: target.databaseUrl } })).code).toBe(EXIT_OK);
  });
});
