/**
 * `npm run chaos -- --duration 60s`: the fault-injection workload (issues 6 and 10). Two service
 * instances on one PostgreSQL, many clients retrying every request with its idempotency key,
 * instances SIGKILLed, PostgreSQL shut down immediately and account rows locked from outside at
 * random moments. Prints what ran, the faults and
 * the violations, writes JSON to bench/results/, and exits 1 on any violation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { EmbeddedChaosDatabase } from './lib/chaos/cluster';
import { runChaos } from './lib/chaos/engine';
import { HaChaosDatabase } from './lib/ha/ha-chaos-database';
import { PackagesUnavailableError } from './lib/debian-packages';

function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 500ms, 60s or 10m');
  const amount = Number(match[1]);
  return Math.round(match[2] === 'ms' ? amount : match[2] === 'm' ? amount * 60_000 : amount * 1000);
}

function count(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

const options = new Command('chaos')
  .description('fault-injection workload: checks that no acknowledged money movement is lost or applied twice')
  .option('--duration <time>', 'how long faults are injected', duration, 60_000)
  .option('--instances <n>', 'service instances on the one database', count, 2)
  .option('--workers <n>', 'concurrent clients', count, 24)
  .option('--accounts <n>', 'accounts the clients share', count, 20)
  .option('--kill-every <time>', 'mean time between two instance kills', duration, 10_000)
  .option(
    '--postgres-restart-every <time>',
    'mean time between two PostgreSQL immediate restarts (one PostgreSQL)',
    duration,
    90_000,
  )
  .option(
    '--ha',
    'run on a Patroni cluster (etcd, three PostgreSQL 15 nodes, HAProxy) from Debian packages, installed when missing',
  )
  .option(
    '--failover-every <time>',
    'with --ha: mean time between two faults of the primary (kills, pauses, replica restarts in turn)',
    duration,
    30_000,
  )
  .option(
    '--lock-every <time>',
    "mean time between two locks of an account's row from outside (5-15 s each)",
    duration,
    30_000,
  )
  .option('--resolve <time>', 'time allowed after the faults to resolve uncertain requests', duration, 60_000)
  .option('--sync-timeout <time>', 'MANAGER_SYNC_TIMEOUT_MS of the instances', duration, 2_000)
  .option('--json', 'print the report as JSON')
  .parse()
  .opts<{
    duration: number;
    instances: number;
    workers: number;
    accounts: number;
    killEvery: number;
    postgresRestartEvery: number;
    ha?: boolean;
    failoverEvery: number;
    lockEvery: number;
    resolve: number;
    syncTimeout: number;
    json?: boolean;
  }>();

/** Beyond the workload and the resolution window, a run that has not finished is hung: say so and stop. */
const WATCHDOG_MARGIN_MS = 5 * 60_000;

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

async function main(): Promise<void> {
  const watchdog = setTimeout(
    () => {
      console.error('chaos: the run did not finish in time (hung); stopping');
      process.exit(2);
    },
    options.duration + options.resolve + WATCHDOG_MARGIN_MS,
  );
  watchdog.unref();
  const report = await runChaos({
    durationMs: options.duration,
    instances: options.instances,
    workers: options.workers,
    accounts: options.accounts,
    killEveryMs: options.killEvery,
    database: options.ha ? new HaChaosDatabase(log) : new EmbeddedChaosDatabase(),
    databaseFaultEveryMs: options.ha ? options.failoverEvery : options.postgresRestartEvery,
    lockEveryMs: options.lockEvery,
    resolveMs: options.resolve,
    syncTimeoutMs: options.syncTimeout,
    log,
  });
  const directory = path.resolve(__dirname, '..', 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `chaos-${new Date().toISOString().replace(/:/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const { operations, faults, violations } = report;
    console.log(`chaos run of ${(report.durationMs / 1000).toFixed(0)} s`);
    console.log(
      `  operations: ${operations.started} started, ${operations.acknowledged} acknowledged, ${operations.refused} refused, ${operations.unresolved} unresolved`,
    );
    console.log(
      `  requests sent: ${operations.attempts} (${operations.uncertainAttempts} without a definitive answer, retried)`,
    );
    console.log(
      `  by kind: ${Object.entries(report.byKind)
        .map(([kind, n]) => `${kind} ${n.acknowledged}/${n.refused}`)
        .join(', ')} (acknowledged/refused)`,
    );
    console.log(
      `  deliberate replays: ${report.deliberateReplays.sent} sent, ${report.deliberateReplays.accepted} answered from the first outcome`,
    );
    console.log(
      `  deliberate amount changes: ${report.deliberateMismatches.sent} sent, ${report.deliberateMismatches.refused} refused`,
    );
    console.log(
      `  faults: ${Object.entries(faults)
        .map(([name, count]) => `${count} ${name}`)
        .join(', ')}`,
    );
    if (report.database) console.log(`  database: ${JSON.stringify(report.database)}`);
    console.log(`  answers that were another command's: ${report.foreignAnswers}`);
    console.log(
      `  trade:events received by the subscribers: ${report.eventsReceived} (each of a booked transaction, once, in order per account)`,
    );
    console.log(
      `  throughput while faults were injected: ${report.throughputPerS.toFixed(1)} acknowledged operations/s`,
    );
    console.log(`  violations: ${violations.length}`);
    for (const violation of violations.slice(0, 50)) console.log(`    ${violation}`);
    console.log(`  report: ${file}`);
  }
  process.exitCode = report.violations.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  if (error instanceof PackagesUnavailableError) {
    // where the Debian packages cannot be installed (not root, no network): say so, and pass
    console.log(`HA chaos run skipped: ${error.message}`);
    process.exit(0);
  }
  console.error(error);
  process.exitCode = 2;
});
