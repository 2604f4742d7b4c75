/**
 * The finance team's command line: `npm run cli -- <command>` (`node dist/transports/cli/main.js`
 * in a build). It reads `.env` as the service does and works on DATABASE_URL, or on the embedded
 * PostgreSQL under DATA_DIR (started, or reused while the service runs). Exit codes, for cron:
 * 0 all good, 1 the check found something, 2 the command could not run (one line on stderr says why).
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadDatabaseSettings, readDotEnv } from '../../config';
import { createCore, type Core } from '../../core/core';
import { CONSOLE_ROLES, type ConsoleRole } from '../../core/access/console-roles';
import { presentUser } from '../presenters/users';
import { AppError, ValidationError } from '../../shared/errors';
import { stringifyJson } from '../../shared/json';
import { DEFAULT_COLUMNS } from '../../core/reconciliation/matching';
import { DEFAULT_PERIOD_DAYS, readPeriod } from '../../core/reconciliation/period';
import { STALE_HOLD_AGE_DEFAULT_S, type ReconciliationReport } from '../../core/reconciliation/reconciliation-service';
import type { MatchReport } from '../../core/reconciliation/match-service';
import { RUN_PAGE_SIZE_DEFAULT, RUN_PAGE_SIZE_MAX } from '../../core/reconciliation/run-history';
import { openDatabase } from '../../db/database-target';
import { describeDiscrepancy, describeRun, printMatchReport, printReport } from './cli-output';
import { describeStartupFailure, type StartupContext } from '../../shared/startup-errors';
import { createLogger } from '../../observability/logger';
import { Metrics } from '../../observability/metrics';
import { presentDailyTotal, presentRun } from '../presenters/reconciliation';
import {
  writeDailyTotalsCsv,
  writeLedgerCsv,
  writeLedgerJsonLines,
  writeStatementCsv,
  writeStatementJson,
} from '../reports/report-writers';

const EXIT_FINDINGS = 1;
const EXIT_ERROR = 2;

/** The same depth under src/ and dist/: the package's own package.json, for --version. */
const PACKAGE_JSON = path.resolve(__dirname, '..', '..', '..', 'package.json');

/** Filled as the command starts, so that a failure can name the setting behind it. */
const startup: StartupContext = {};

/**
 * Runs a command on the finance core, through the core's front door like every transport. The
 * schema is migrated first where the service would migrate it (MIGRATE_ON_START, on by default
 * outside production), else checked.
 */
async function withContext<T>(run: (core: Core) => Promise<T>): Promise<T> {
  const settings = loadDatabaseSettings(process.env);
  const database = await openDatabase(settings);
  startup.database = database.describe;
  const core = createCore({
    databaseUrl: database.url,
    ...(settings.databaseReadUrl ? { readUrl: settings.databaseReadUrl } : {}),
    metrics: new Metrics(),
    logger: createLogger('silent'),
    role: 'cli',
  });
  try {
    await (settings.migrateOnStart ? core.migrate() : core.checkSchema());
    return await run(core);
  } finally {
    await core.stop();
    await database.stop();
  }
}

function output(file: string | undefined): Writable {
  return file ? createWriteStream(file) : process.stdout;
}

/** Who the command line's runs and downloads are recorded as (the run history, the audit log): `cli:` and the operating-system user. */
function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    // a uid without a passwd entry (some containers): the environment's name, else the uid
    return `cli:${process.env.USER ?? `uid-${process.getuid?.() ?? 'unknown'}`}`;
  }
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

const program = new Command('wallet-cli')
  .description(
    'Reconciliation, reports and exports of the wallet ledger. Exit codes: 0 all good, 1 findings, 2 could not run.',
  )
  .version(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')).version as string)
  // a usage error could not run: exit 2, not commander's 1 (which means findings here)
  .exitOverride()
  // `runs show 7 --json`: options after a subcommand are its own (`runs` has a --json of its own too)
  .enablePositionalOptions();

program
  .command('reconcile')
  .description('check every ledger invariant and list the exceptions; exits 1 when an invariant fails')
  .option('--from <date>', 'start of the period for exceptions (ISO 8601)')
  .option('--to <date>', 'end of the period for exceptions (ISO 8601)')
  .option('--stale-hold-age <seconds>', 'report trades open longer than this', integer, STALE_HOLD_AGE_DEFAULT_S)
  .option('--json', 'print the report as JSON')
  .action(async (options: { from?: string; to?: string; staleHoldAge: number; json?: boolean }) => {
    const report = await withContext(({ reconciliation }) => {
      const bar = new SingleBar(
        { format: 'reconcile [{bar}] {value}/{total} {step}', stream: process.stderr },
        Presets.shades_classic,
      );
      return reconciliation
        .reconcile({
          actor: cliActor(),
          period: readPeriod(options.from, options.to, 'all'),
          staleHoldAgeS: options.staleHoldAge,
          onStep: (step, index, total) => {
            if (index === 0) bar.start(total, 0, { step });
            bar.update(index, { step });
          },
          onDiscrepancy: (discrepancy) => {
            if (!options.json) process.stderr.write(`${describeDiscrepancy(discrepancy)}\n`);
          },
        })
        .finally(() => bar.stop());
    });
    if (options.json) process.stdout.write(`${stringifyJson(report)}\n`);
    else printReport(report);
    process.exitCode = report.clean ? 0 : EXIT_FINDINGS;
  });

program
  .command('totals')
  .description('totals per day, currency and operation')
  .option('--from <date>', 'start (ISO 8601); default 30 days ago')
  .option('--to <date>', 'end (ISO 8601); default now')
  .option('--json', 'JSON instead of CSV')
  .action(async (options: { from?: string; to?: string; json?: boolean }) => {
    await withContext(async ({ reconciliation }) => {
      const rows = reconciliation.dailyTotals(readPeriod(options.from, options.to, DEFAULT_PERIOD_DAYS));
      if (!options.json) return writeDailyTotalsCsv(rows, process.stdout);
      const totals = [];
      for await (const row of rows) totals.push(presentDailyTotal(row));
      process.stdout.write(`${JSON.stringify({ totals })}\n`);
    });
  });

program
  .command('statement')
  .description("an account's statement: opening balance, entries, closing balance")
  .requiredOption('--login <login>', 'account login')
  .option('--from <date>', 'start (ISO 8601); default 30 days ago')
  .option('--to <date>', 'end (ISO 8601); default now')
  .option('--json', 'JSON instead of CSV')
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (options: { login: string; from?: string; to?: string; json?: boolean; out?: string }) => {
    if (!/^\d{1,19}$/.test(options.login)) throw new ValidationError('--login must be a positive integer');
    await withContext(async ({ reconciliation }) => {
      const period = readPeriod(options.from, options.to, DEFAULT_PERIOD_DAYS);
      const statement = await reconciliation.statement(BigInt(options.login), period, {
        actor: cliActor(),
        format: options.json ? 'json' : 'csv',
      });
      await (options.json ? writeStatementJson : writeStatementCsv)(statement, output(options.out));
    });
  });

program
  .command('export')
  .description('the full ledger of a period, one line per posting')
  .option('--from <date>', 'start (ISO 8601); default 30 days ago')
  .option('--to <date>', 'end (ISO 8601); default now')
  .option('--json', 'JSON Lines (one object per posting) instead of CSV')
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (options: { from?: string; to?: string; json?: boolean; out?: string }) => {
    await withContext(async ({ reconciliation }) => {
      const period = readPeriod(options.from, options.to, DEFAULT_PERIOD_DAYS);
      const rows = await reconciliation.ledgerPostings(period, {
        actor: cliActor(),
        format: options.json ? 'jsonl' : 'csv',
      });
      await (options.json ? writeLedgerJsonLines : writeLedgerCsv)(rows, output(options.out));
    });
  });

program
  .command('match <file>')
  .description('match an external CSV (payment provider, trading platform) against the ledger; dry run unless --apply')
  .option('--side <side>', 'finance-records (by referenceId) or trades (by externalTradeId, stake)', 'finance-records')
  .option('--reference-column <name>', 'column of the reference', DEFAULT_COLUMNS.reference)
  .option('--amount-column <name>', 'column of the amount', DEFAULT_COLUMNS.amount)
  .option('--currency-column <name>', 'column of the currency', DEFAULT_COLUMNS.currency)
  .option('--date-column <name>', 'column of the date', DEFAULT_COLUMNS.date)
  .option('--drift-minor <n>', 'largest amount difference still matched, in minor units', integer, 0)
  .option('--from <date>', 'ledger period start (default: the file dates, one day of margin)')
  .option('--to <date>', 'ledger period end')
  .option(
    '--reference-delimiter <text>',
    'one to many: a reference cell lists several ledger references separated by this (such as ;)',
  )
  .option('--sum-repeated', 'many to one: rows that repeat a reference are matched together against that ledger record')
  .option('--apply', 'mark the run applied (default: a dry run; either is kept in the history)')
  .option('--json', 'print the report as JSON')
  .action(async (file: string, options: Record<string, string | number | boolean | undefined>) => {
    if (options.side !== 'finance-records' && options.side !== 'trades')
      throw new ValidationError('--side must be finance-records or trades');
    const report = await withContext(async ({ matching }) =>
      matching.match(await openInput(file), {
        side: options.side as 'finance-records' | 'trades',
        columns: {
          reference: String(options.referenceColumn),
          amount: String(options.amountColumn),
          currency: String(options.currencyColumn),
          date: String(options.dateColumn),
        },
        driftMinor: BigInt(options.driftMinor as number),
        grouping: {
          referenceDelimiter: (options.referenceDelimiter as string | undefined) ?? null,
          sumRepeated: options.sumRepeated === true,
        },
        dryRun: !options.apply,
        actor: cliActor(),
        ...(options.from || options.to
          ? { period: readPeriod(options.from as string | undefined, options.to as string | undefined, 'all') }
          : {}),
      }),
    );
    if (options.json) process.stdout.write(`${stringifyJson(report)}\n`);
    else printMatchReport(report);
    const { matched: _matched, ...findings } = report.counts;
    process.exitCode =
      Object.values(findings).reduce((sum, count) => sum + count, 0) + report.invalidRows.count > 0 ? EXIT_FINDINGS : 0;
  });

const runs = program
  .command('runs')
  .description('the history of reconciliation and matching runs, newest first (`runs show <id>`: one run as it was)')
  .option('--kind <kind>', 'only reconciliation or match runs')
  .option('--limit <n>', `how many (at most ${RUN_PAGE_SIZE_MAX})`, integer, RUN_PAGE_SIZE_DEFAULT)
  .option('--json', 'print the runs as JSON')
  .action(async (options: { kind?: string; limit: number; json?: boolean }) => {
    if (options.kind !== undefined && options.kind !== 'reconciliation' && options.kind !== 'match')
      throw new ValidationError('--kind must be reconciliation or match');
    const page = await withContext(({ runs: history }) =>
      history.list(options.kind as 'reconciliation' | 'match' | undefined, null, options.limit),
    );
    if (options.json) process.stdout.write(`${stringifyJson({ items: page.items.map(presentRun) })}\n`);
    else for (const run of page.items) process.stdout.write(`${describeRun(run)}\n`);
  });

runs
  .command('show <id>')
  .description('one run as it was: who ran it, when, its options and its report')
  .option('--json', 'print the run as JSON')
  .action(async (id: string, options: { json?: boolean }) => {
    if (!/^[1-9]\d{0,18}$/.test(id)) throw new ValidationError('the run id must be a positive integer');
    const { run, result } = await withContext(({ runs: history }) => history.get(BigInt(id)));
    if (options.json) {
      process.stdout.write(`${stringifyJson({ ...presentRun(run), result })}\n`);
      return;
    }
    process.stdout.write(`${describeRun(run)}\n  options ${JSON.stringify(run.options)}\n`);
    if (result === null) process.stdout.write('  (applied before the history kept answers: the summary only)\n');
    else if (run.kind === 'match') printMatchReport(result as unknown as MatchReport);
    else printReport(result as unknown as ReconciliationReport);
  });

const users = program.command('users').description("the finance team's console users (roles viewer, finance, admin)");

users
  .command('create')
  .description('create a console user; the password is read from the first line of standard input')
  .requiredOption('--username <name>', 'lowercase letters, digits, ".", "_" or "-"')
  .requiredOption('--role <role>', CONSOLE_ROLES.join(', '))
  .option('--json', 'print the user as JSON')
  .action(async (options: { username: string; role: string; json?: boolean }) => {
    const password = await firstLineOfStdin();
    const user = await withContext(({ consoleAccess }) =>
      consoleAccess.createUser({ username: options.username, password, role: options.role as ConsoleRole }, cliActor()),
    );
    process.stdout.write(
      options.json ? `${stringifyJson(presentUser(user))}\n` : `created ${user.username} (${user.role})\n`,
    );
  });

users
  .command('list')
  .description('every console user')
  .option('--json', 'JSON instead of lines')
  .action(async (options: { json?: boolean }) => {
    const list = (await withContext(({ consoleAccess }) => consoleAccess.listUsers())).map(presentUser);
    if (options.json) process.stdout.write(`${stringifyJson({ items: list })}\n`);
    else
      for (const user of list)
        process.stdout.write(
          `${user.username}\t${user.role}\t${user.disabled ? 'disabled' : 'active'}\tcreated ${user.createdAt} by ${user.createdBy}\n`,
        );
  });

users
  .command('disable <username>')
  .description('disable a user and end every session of it')
  .action(async (username: string) => {
    await withContext(({ consoleAccess }) => consoleAccess.updateUser(username, { disabled: true }, cliActor()));
    process.stdout.write(`disabled ${username}\n`);
  });

users
  .command('end-sessions <username>')
  .description('end every session of a user, on every instance')
  .action(async (username: string) => {
    const ended = await withContext(({ consoleAccess }) => consoleAccess.revokeSessions(username, cliActor()));
    process.stdout.write(`ended ${ended} session(s) of ${username}\n`);
  });

/** A secret read from standard input (never from the command line, where `ps` and the shell history would show it). */
async function firstLineOfStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (input is shown): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new ValidationError('a password is expected on standard input');
}

/** Opens the file to read, so that a missing one is told as such before any work. */
async function openInput(file: string) {
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

/** What went wrong, in one line: the operator's fault or the environment's; undefined for a bug. */
function describeFailure(error: unknown): string | undefined {
  if (error instanceof AppError) return error.message;
  const failure = error as { code?: string; path?: string; syscall?: string };
  if (failure.code === 'EPIPE') return 'the output was closed before the end (EPIPE)';
  if (failure.path && failure.code === 'ENOENT') return `no such file or directory: ${failure.path}`;
  if (failure.path && (failure.code === 'EACCES' || failure.code === 'EISDIR'))
    return `cannot ${failure.syscall ?? 'use'} ${failure.path}: ${failure.code}`;
  return describeStartupFailure(error, startup);
}

// A closed pipe (`| head`) fails the write in flight, which fails the command; nothing is thrown here.
process.stdout.on('error', () => undefined);

readDotEnv();
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // commander has printed its message (or the help, or the version)
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_ERROR;
    return;
  }
  const line = describeFailure(error);
  process.stderr.write(`wallet-cli: ${line ?? String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = EXIT_ERROR;
});
