/**
 * `npm run bench`: issue 5's yardstick in one run. Throughput and latency of the wallet API on this
 * machine, as a ratio to pgbench's TPC-B-like transaction on the same server (the baseline: from
 * Node at scale 10 for spread, scale 1 for hot, and the pgbench binary where installed) and to the
 * same database work without the service (db-direct); closetrade latency at half the spread
 * throughput (paced); getbalance/opentrade latency at ~10,000 and at 10,000,000 ledger entries
 * (growth); the manager TCP API (BalanceInSync round trips; commit-to-event latency of the
 * trade:event fan-out); the heaviest back-office work on the service's heap settings
 * (heavy-admin); and the service's peak RSS. Issue 15's targets are checked at the end.
 *
 * One run: a fresh database (DATABASE_URL's server, or an embedded PostgreSQL in a temporary
 * directory with default durable settings), the service as a child process (`tsx src/main.ts`),
 * accounts set up through the admin and operator APIs, then each selected scenario in turn.
 * Prints a table and writes bench/results/bench-<timestamp>.json. A full run (every scenario, not
 * --quick, the service's own settings) that passed also rewrites the published section of
 * docs/benchmark.md from its report. Exits non-zero when anything failed or any request was
 * answered with an error.
 *
 *   npm run bench -- --quick                     smoke run: 1,000 accounts, short scenarios, growth to 200,000 entries
 *   npm run bench -- --duration 30 --scenarios tpcb-scale10,spread,spread-half,db-direct-spread
 *   npm run bench -- --quick --scenarios manager-sync,event-fanout
 *   npm run bench -- --scenarios spread-half --rate 2000    (paced at 2,000 requests/s without running spread)
 *   npm run bench -- --scenarios growth --growth-entries 1000000
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createBenchContext } from './lib/bench-context';
import { BENCH_DOC_FILE, notPublishedBecause, publishBenchSection } from './lib/bench-docs';
import { checkpoint, provisionBenchDatabase, type BenchDatabase } from './lib/bench-database';
import { CleanupStack } from './lib/cleanup';
import { sleep } from './lib/concurrency';
import { dbDirectScenario } from './lib/db-direct';
import { WindowCpu } from './lib/cpu-usage';
import { growthScenario } from './lib/growth';
import { heavyAdminScenario } from './lib/heavy-admin';
import { pacedHalfScenario } from './lib/paced-scenarios';
import {
  formatBaselineTable,
  formatCpuTable,
  formatFanoutTable,
  formatGrowthTable,
  formatHeavyAdminTable,
  formatPacedTable,
  formatTable,
  machineInfo,
  withBaselineRatios,
  writeReport,
  type BenchReport,
  type ScenarioResult,
} from './lib/report';
import { eventFanoutScenario, managerSyncScenario } from './lib/manager-scenarios';
import { RssSampler } from './lib/rss-sampler';
import type { BenchContext, BenchOptions, Scenario } from './lib/scenario';
import { ServiceApi } from './lib/service-api';
import {
  launchService,
  type ServiceCredentials,
  type ServiceLaunchOptions,
  type ServiceProcess,
} from './lib/service-process';
import { evaluateTargets, formatTargets } from './lib/targets';
import { findPgbench, pgbenchScenario, tpcbScenario } from './lib/tpcb';
import { bareHttpScenario, loneRequestScenario } from './lib/floor-scenarios';
import { walletPairScenario } from './lib/wallet-scenarios';

const PROJECT_ROOT = path.resolve(__dirname, '..');

const DEFAULT_DURATION_S = 15;
const DEFAULT_WARMUP_MS = 3_000;
const DEFAULT_ACCOUNTS = 10_000;
const DEFAULT_CONNECTIONS = 64;
const QUICK_DURATION_S = 3;
const QUICK_WARMUP_MS = 1_000;
const QUICK_ACCOUNTS = 1_000;
const DEFAULT_GROWTH_ENTRIES = 10_000_000;
const QUICK_GROWTH_ENTRIES = 200_000;
/** Pause after the pre-scenario CHECKPOINT, so that its I/O does not bleed into the warm-up. */
const SETTLE_MS = 500;

/** Fixed credentials: the service is ours alone for the run, and fixed keys keep runs reproducible. */
const CREDENTIALS: ServiceCredentials = {
  walletSecret: 'bench-wallet-secret-0123456789abcdef',
  operatorApiKey: 'bench-operator-key-0123456789abcdef',
  adminApiKey: 'bench-admin-key-0123456789abcdef',
};

const fromAllSpreadAccounts = (context: BenchContext) => context.spreadAccounts();
const fromHotAccount = async (context: BenchContext) => [await context.hotAccount()];

/**
 * Run in this order. The TPC-B baselines first (each loads, runs and drops its own tables), then
 * growth first among the wallet scenarios: right after the spread accounts are set up, the ledger
 * holds about one entry per account (their deposits), which is its "10,000 entries" measurement;
 * it then grows the ledger, and every later scenario runs on the grown ledger. spread-half paces
 * itself on the throughput spread has just measured.
 */
const SCENARIOS: Scenario[] = [
  tpcbScenario(10),
  pgbenchScenario(10),
  tpcbScenario(1),
  pgbenchScenario(1),
  bareHttpScenario(),
  loneRequestScenario(),
  growthScenario(),
  walletPairScenario({
    name: 'spread',
    description: 'signed opentrade + closetrade pairs over HTTP, each on a random one of many accounts',
    baseline: 'tpcb-scale10',
    ceiling: 'db-direct-spread',
    accounts: fromAllSpreadAccounts,
  }),
  pacedHalfScenario({ name: 'spread-half', of: 'spread', fraction: 0.5 }),
  walletPairScenario({
    name: 'hot',
    description: 'signed opentrade + closetrade pairs over HTTP, all on one account',
    baseline: 'tpcb-scale1',
    ceiling: 'db-direct-hot',
    accounts: fromHotAccount,
  }),
  dbDirectScenario({
    name: 'db-direct-spread',
    description: 'wallet_execute from a plain pg.Pool, no HTTP: the ceiling of "spread"',
    baseline: 'tpcb-scale10',
    accounts: fromAllSpreadAccounts,
  }),
  dbDirectScenario({
    name: 'db-direct-hot',
    description: 'wallet_execute from a plain pg.Pool on the one hot account: the ceiling of "hot"',
    baseline: 'tpcb-scale1',
    accounts: fromHotAccount,
  }),
  managerSyncScenario(),
  eventFanoutScenario(),
  // last: it adds a million entries to the ledger and holds the manager port's every connection
  heavyAdminScenario(),
];

interface CliFlags {
  duration?: number;
  accounts?: number;
  connections?: number;
  scenarios?: Scenario[];
  quick?: boolean;
  rate?: number;
  growthEntries?: number;
  cpuProf?: string;
  serviceEnv?: Record<string, string>;
}

function parseCli(argv: string[]): { options: BenchOptions; scenarios: Scenario[]; scenariosFiltered: boolean } {
  const flags = new Command()
    .name('bench')
    .description('Wallet service benchmark: HTTP scenarios against their db-direct ceilings, and the manager TCP API')
    .option(
      '--duration <seconds>',
      `measured seconds per scenario (default ${DEFAULT_DURATION_S}, quick ${QUICK_DURATION_S})`,
      positiveNumber,
    )
    .option(
      '--accounts <n>',
      `accounts of the spread scenarios (default ${DEFAULT_ACCOUNTS}, quick ${QUICK_ACCOUNTS})`,
      positiveInteger,
    )
    .option(
      '--connections <n>',
      `concurrent workers / connections of the wallet scenarios (default ${DEFAULT_CONNECTIONS}; the manager ones use fixed counts)`,
      positiveInteger,
    )
    .option(
      '--scenarios <list>',
      `comma-separated, from: ${SCENARIOS.map((scenario) => scenario.name).join(', ')} (default all)`,
      scenarioList,
    )
    .option(
      '--quick',
      `smoke run: short scenarios on ${QUICK_ACCOUNTS.toLocaleString('en')} accounts, growth to ${QUICK_GROWTH_ENTRIES.toLocaleString('en')} entries`,
    )
    .option(
      '--rate <requests/s>',
      'rate of spread-half (default: half of the requests/s spread measured in this run)',
      positiveNumber,
    )
    .option(
      '--growth-entries <n>',
      `journal entries growth grows the ledger to (default ${DEFAULT_GROWTH_ENTRIES.toLocaleString('en')}, quick ${QUICK_GROWTH_ENTRIES.toLocaleString('en')})`,
      positiveInteger,
    )
    .option(
      '--service-env <NAME=value>',
      "the service's setting for this run, e.g. MONEY_LANES=4 (repeatable)",
      serviceSetting,
      {},
    )
    .option(
      '--cpu-prof <dir>',
      "write the service's V8 CPU profile (node --cpu-prof) into this directory when it stops",
    )
    .parse(argv)
    .opts<CliFlags>();
  const quick = flags.quick === true;
  // Explicit flags win over --quick's shorter defaults.
  const options: BenchOptions = {
    durationMs: (flags.duration ?? (quick ? QUICK_DURATION_S : DEFAULT_DURATION_S)) * 1000,
    warmupMs: quick ? QUICK_WARMUP_MS : DEFAULT_WARMUP_MS,
    accounts: flags.accounts ?? (quick ? QUICK_ACCOUNTS : DEFAULT_ACCOUNTS),
    connections: flags.connections ?? DEFAULT_CONNECTIONS,
    quick,
    ...(flags.rate === undefined ? {} : { rate: flags.rate }),
    growthEntries: flags.growthEntries ?? (quick ? QUICK_GROWTH_ENTRIES : DEFAULT_GROWTH_ENTRIES),
    ...(flags.cpuProf === undefined ? {} : { cpuProfileDir: path.resolve(flags.cpuProf) }),
    serviceEnv: flags.serviceEnv ?? {},
  };
  return { options, scenarios: flags.scenarios ?? SCENARIOS, scenariosFiltered: flags.scenarios !== undefined };
}

/** The named scenarios, in the order of SCENARIOS (a baseline may be named before its HTTP scenario). */
function scenarioList(list: string): Scenario[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(
      `unknown scenario(s) "${unknown.join(', ')}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return SCENARIOS.filter((scenario) => names.includes(scenario.name));
}

function serviceSetting(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected NAME=value');
  return { ...previous, [match[1]!]: match[2]! };
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

function positiveInteger(value: string): number {
  const number = positiveNumber(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

async function runScenario(
  scenario: Scenario,
  context: BenchContext,
  sampler: RssSampler,
  cpu: WindowCpu,
): Promise<ScenarioResult> {
  await checkpoint(context.databaseUrl);
  await sleep(SETTLE_MS);
  process.stderr.write(`scenario ${scenario.name}: ${scenario.description}\n`);
  // Set-up (accounts, tokens) happens inside run on first use; the RSS window covers it too,
  // which is right for memory: the set-up's peak is a real peak of the service.
  sampler.startWindow();
  cpu.reset();
  const startedAt = Date.now();
  const measurement = await scenario.run(context);
  const result: ScenarioResult = {
    name: scenario.name,
    description: scenario.description,
    transport: scenario.transport,
    baseline: scenario.baseline ?? null,
    ratioToBaseline: null,
    ceiling: scenario.ceiling ?? null,
    ratioToCeiling: null,
    serviceRssPeakMib: sampler.windowPeakMib,
    cpuMsPerRequest: cpu.perRequest(measurement.requests),
    wallClockMs: Date.now() - startedAt,
    ...measurement,
  };
  process.stderr.write(
    result.skipped === undefined
      ? `scenario ${scenario.name}: ${result.requestsPerS.toFixed(0)} ops/s, ${result.latencyMeanOnly ? `average ${result.latency.meanMs.toFixed(1)}` : `p99 ${result.latency.p99Ms.toFixed(1)}`} ms, ${result.errors} errors\n`
      : `scenario ${scenario.name}: skipped: ${result.skipped}\n`,
  );
  return result;
}

interface Infrastructure {
  database: BenchDatabase;
  service: ServiceProcess;
  sampler: RssSampler;
  api: ServiceApi;
}

function serviceLaunchOptions(options: BenchOptions, databaseUrl: string): ServiceLaunchOptions {
  return {
    projectRoot: PROJECT_ROOT,
    databaseUrl,
    credentials: CREDENTIALS,
    logLevel: 'warn',
    env: options.serviceEnv,
  };
}

/** Database, service, RSS sampler and set-up client; each registered for cleanup as soon as it exists. */
async function startInfrastructure(
  options: BenchOptions,
  cleanup: CleanupStack,
  started: Partial<Infrastructure>,
): Promise<Infrastructure> {
  process.stderr.write(
    process.env.DATABASE_URL ? 'creating a fresh database on DATABASE_URL\n' : 'starting an embedded PostgreSQL\n',
  );
  const database = await provisionBenchDatabase(process.env.DATABASE_URL);
  cleanup.push('drop the database / stop PostgreSQL', () => database.close());

  const service = await launchService({
    ...serviceLaunchOptions(options, database.url),
    // the profile is written when the service exits (SIGTERM at cleanup)
    ...(options.cpuProfileDir === undefined
      ? {}
      : { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] }),
  });
  started.service = service;
  cleanup.push('stop the service', () => service.stop());
  process.stderr.write(`service listening on ${service.baseUrl} (pid ${service.servicePid})\n`);

  const sampler = new RssSampler(service.servicePid);
  sampler.start();
  cleanup.push('stop the RSS sampler', () => sampler.stop());
  const api = new ServiceApi(service.baseUrl, CREDENTIALS, options.connections);
  cleanup.push('close the set-up client', () => api.close());
  return { database, service, sampler, api };
}

async function runBench(
  options: BenchOptions,
  scenarios: Scenario[],
  infrastructure: Infrastructure,
  cleanup: CleanupStack,
): Promise<BenchReport> {
  const { database, service, sampler, api } = infrastructure;
  const startedAt = new Date().toISOString();
  const setupMs: Record<string, number> = {};
  const cpu = new WindowCpu(service.servicePid, database.serverPid);
  const measured: ScenarioResult[] = [];
  const context = createBenchContext(
    options,
    {
      databaseUrl: database.url,
      service,
      credentials: CREDENTIALS,
      api,
      window: cpu,
      cleanup,
      launchSibling: async (databaseUrl) => {
        const sibling = await launchService(serviceLaunchOptions(options, databaseUrl));
        return { service: sibling, window: new WindowCpu(sibling.servicePid, database.serverPid) };
      },
      measured: (name) => measured.find((result) => result.name === name),
    },
    setupMs,
  );
  for (const scenario of scenarios) measured.push(await runScenario(scenario, context, sampler, cpu));
  const pgbenchBinary = findPgbench() ?? null;
  const results = withBaselineRatios(measured);
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(database.serverVersion, database.embedded),
    options,
    setupMs,
    service: { rssPeakMib: sampler.peakMib, rssSamples: sampler.sampleCount, errorLogLines: service.errorLogLines() },
    scenarios: results,
    targets: evaluateTargets(results, sampler.peakMib, sampler.sampleCount),
    pgbench: {
      binary: pgbenchBinary,
      note: pgbenchBinary
        ? `${pgbenchBinary} (pgbench -n -c <4, 16, 64> -j 2 -T <duration> -M prepared, each after a warm-up run; the best is the anchor)`
        : 'not found (/usr/lib/postgresql/*/bin/pgbench): only the node-postgres baseline ran',
    },
  };
}

async function main(): Promise<number> {
  const { options, scenarios, scenariosFiltered } = parseCli(process.argv);
  const cleanup = new CleanupStack();
  cleanup.exitOnSignals();
  const started: Partial<Infrastructure> = {};
  try {
    const report = await runBench(options, scenarios, await startInfrastructure(options, cleanup, started), cleanup);
    const resultsFile = writeReport(PROJECT_ROOT, report);
    printSummary(report, resultsFile);
    const code = exitCodeOf(report);
    const unpublished = notPublishedBecause({
      quick: options.quick,
      scenariosFiltered,
      serviceSettings: Object.keys(options.serviceEnv).length,
      failed: code !== 0,
    });
    if (unpublished === null)
      console.log(`published: ${path.relative(process.cwd(), publishBenchSection(PROJECT_ROOT, report, resultsFile))}`);
    else console.log(`not published in ${BENCH_DOC_FILE}: ${unpublished}`);
    return code;
  } catch (error) {
    // The service's own words are the quickest way to a cause.
    const exit = started.service?.exitStatus();
    if (exit) process.stderr.write(`the service process exited during the run (${exit})\n`);
    const tail = started.service?.outputTail() ?? [];
    if (tail.length > 0) process.stderr.write(`last lines of the service's output:\n${tail.join('\n')}\n`);
    throw error;
  } finally {
    await cleanup.runAll();
  }
}

function printSummary(report: BenchReport, file: string): void {
  const { machine } = report;
  console.log(`\n${machine.cpuModel} x${machine.cpuCount}, ${machine.totalMemoryGib} GiB, node ${machine.nodeVersion}`);
  console.log(`${machine.postgresVersion.split(',')[0]} (${machine.postgres})`);
  console.log(
    `${report.options.connections} connections, ${report.options.durationMs / 1000} s per scenario after ${report.options.warmupMs / 1000} s warm-up, ${report.options.accounts} spread accounts\n`,
  );
  const settings = Object.entries(report.options.serviceEnv).map(([name, value]) => `${name}=${value}`);
  if (settings.length > 0) console.log(`service settings: ${settings.join(' ')}\n`);
  console.log(formatTable(report.scenarios));
  for (const table of [
    formatBaselineTable(report.scenarios, report.pgbench.note),
    formatPacedTable(report.scenarios),
    formatGrowthTable(report.scenarios),
    formatFanoutTable(report.scenarios),
    formatHeavyAdminTable(report.scenarios),
    formatCpuTable(report.scenarios),
    formatTargets(report.targets),
  ]) {
    if (table) console.log(`\n${table}`);
  }
  const rssMb = (report.service.rssPeakMib * 1024 * 1024) / 1e6;
  console.log(
    `\nservice peak RSS ${report.service.rssPeakMib.toFixed(0)} MiB (${rssMb.toFixed(0)} MB; target < 200 MB); error log lines ${report.service.errorLogLines}`,
  );
  const setups = Object.entries(report.setupMs).map(([label, ms]) => `${label} ${(ms / 1000).toFixed(1)} s`);
  console.log(`set-up: ${setups.length > 0 ? setups.join(', ') : 'none'}`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

/** A benchmark whose requests failed measured something else than the service working: fail the run. */
function exitCodeOf(report: BenchReport): number {
  const failing = report.scenarios.filter((scenario) => scenario.errors > 0);
  for (const scenario of failing) {
    console.error(`scenario ${scenario.name}: ${scenario.errors} errors: ${JSON.stringify(scenario.errorKinds)}`);
  }
  return failing.length > 0 || report.service.errorLogLines > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
