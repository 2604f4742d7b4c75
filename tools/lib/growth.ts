/**
 * growth: issue 5's "getbalance and opentrade latency with 10,000 and with 10,000,000 ledger
 * entries already in the database" (target: p50 at 10M within 1.2x of p50 at 10k).
 *
 * 1. measure: GROWTH_WORKERS closed-loop workers, each iteration getbalance, opentrade and
 *    closetrade on a random spread account, for a few seconds. Run first among the wallet
 *    scenarios, the ledger then holds about one entry per spread account (their deposits).
 * 2. grow the ledger to options.growthEntries journal entries with tools/lib/ledger-generator.ts,
 *    on generated accounts of their own login range; then VACUUM ANALYZE and CHECKPOINT, as a
 *    database that grew over months would have been vacuumed and checkpointed.
 * 3. measure again, the same way.
 * journal_entries is counted before each measurement. The scenario's main figures are those of the
 * second measurement; both are in `extra` (GrowthFigures).
 */
import os from 'node:os';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { WalletClient } from '@wallet-service/client';
import { checkpoint } from './bench-database';
import type { CpuShare } from './cpu-usage';
import type { LatencySummary } from './latency';
import { generateLedger, type LedgerGenerated } from './ledger-generator';
import { runClosedLoop, type LoadResult } from './load';
import type { BenchContext, Scenario, ScenarioMeasurement } from './scenario';
import { HOT_LOGIN, pickIndex, SPREAD_FIRST_LOGIN, tradeId } from './trade-load';
import { getBalance, tradePair } from './wallet-scenarios';

/** A small fixed concurrency: latency, not throughput, is measured. */
export const GROWTH_WORKERS = 4;
const GROWTH_WARMUP_MS = 1_000;
const GROWTH_MEASURE_MS = 5_000;
const GROWTH_QUICK_WARMUP_MS = 500;
const GROWTH_QUICK_MEASURE_MS = 2_000;
/**
 * Logins of the generated accounts: far above the hot account (1,000,001), the spread accounts
 * (2,000,001 + --accounts) and the manager logins (9,000,001..).
 */
export const GROWTH_FIRST_LOGIN = 100_000_001;
/** Each generated account gets about this many entries (a busy trader's history); at most GROWTH_ACCOUNTS_MAX accounts. */
const ENTRIES_PER_GENERATED_ACCOUNT = 1_000;
const GROWTH_ACCOUNTS_MAX = 10_000;
/**
 * Growing 10M entries takes minutes, in chunks of about 500,000 entries (a few statements each);
 * any one statement (a chunk's insert, the VACUUM) is cancelled past this.
 */
const GROWTH_STATEMENT_TIMEOUT_MS = 30 * 60_000;
const PROGRESS_FPS = 1;

/** The kinds compared between the two measurements; the target names getbalance and opentrade. */
export const GROWTH_KINDS = ['getbalance', 'opentrade', 'closetrade'] as const;
export const GROWTH_TARGET_KINDS = ['getbalance', 'opentrade'] as const;

export interface GrowthPhase {
  label: string;
  /** Rows of journal_entries when the measurement started, and when it ended. */
  entriesBefore: number;
  entriesAfter: number;
  requestsPerS: number;
  errors: number;
  latency: Partial<Record<(typeof GROWTH_KINDS)[number], LatencySummary>>;
  /** CPU per request over the measured window, by party (as in the report's CPU table). */
  cpuMsPerRequest: CpuShare | null;
  /**
   * Cores kept busy by other processes than the bench, the service and PostgreSQL over the window,
   * and the 1-minute load average at its end: when they differ between the two measurements, other
   * work shared the machine and the latencies are not comparable.
   */
  otherCores: number | null;
  loadAverage: number;
}

export interface GrowthFigures {
  workers: number;
  small: GrowthPhase;
  large: GrowthPhase;
  /** What the growth step did (null when the ledger was already at least as large as asked). */
  generated: (LedgerGenerated & { firstLogin: number; vacuumMs: number; checkpointMs: number }) | null;
  /** p50 at `large` over p50 at `small`, per kind. */
  p50Ratio: Partial<Record<(typeof GROWTH_KINDS)[number], number>>;
}

export function growthScenario(): Scenario {
  return {
    name: 'growth',
    description: `getbalance / opentrade / closetrade latency (${GROWTH_WORKERS} closed-loop workers) with the ledger as set up, then grown to --growth-entries journal entries`,
    transport: 'http',
    run: runGrowth,
  };
}

async function runGrowth(context: BenchContext): Promise<ScenarioMeasurement> {
  const { options } = context;
  const accounts = await context.spreadAccounts();
  if (GROWTH_FIRST_LOGIN <= SPREAD_FIRST_LOGIN + accounts.length || GROWTH_FIRST_LOGIN <= HOT_LOGIN) {
    throw new Error(`growth: generated logins from ${GROWTH_FIRST_LOGIN} would collide with the spread accounts (--accounts ${accounts.length})`);
  }
  const admin = new pg.Client({ connectionString: context.databaseUrl, application_name: 'wallet-bench-growth', statement_timeout: GROWTH_STATEMENT_TIMEOUT_MS });
  admin.on('error', () => undefined);
  await admin.connect();
  const wallet = new WalletClient(context.service.baseUrl, context.credentials.walletSecret, { maxSockets: GROWTH_WORKERS });
  try {
    const measure = async (label: string): Promise<{ phase: GrowthPhase; result: LoadResult }> => {
      const entriesBefore = await countEntries(admin);
      process.stderr.write(`growth: measuring with ${entriesBefore.toLocaleString('en')} journal entries\n`);
      const result = await runClosedLoop(
        {
          workers: GROWTH_WORKERS,
          warmupMs: options.quick ? GROWTH_QUICK_WARMUP_MS : GROWTH_WARMUP_MS,
          durationMs: options.quick ? GROWTH_QUICK_MEASURE_MS : GROWTH_MEASURE_MS,
          window: context.window,
        },
        async ({ worker, iteration, meter }) => {
          const account = accounts[pickIndex(accounts.length)]!;
          await getBalance(wallet, account, meter);
          await tradePair(wallet, account, tradeId(`growth-${label}`, worker, iteration), meter);
        },
      );
      const cpu = context.window.perRequest(result.requests);
      const latency = Object.fromEntries(GROWTH_KINDS.flatMap((kind) => (result.latencyByKind?.[kind] ? [[kind, result.latencyByKind[kind]]] : [])));
      const phase: GrowthPhase = {
        label,
        entriesBefore,
        entriesAfter: await countEntries(admin),
        requestsPerS: result.requestsPerS,
        errors: result.errors,
        latency,
        cpuMsPerRequest: cpu,
        otherCores: cpu?.other == null ? null : (cpu.other * result.requests) / result.durationMs,
        loadAverage: os.loadavg()[0]!,
      };
      return { phase, result };
    };

    const small = await measure('small');
    const toAdd = options.growthEntries - (await countEntries(admin));
    let generated: GrowthFigures['generated'] = null;
    if (toAdd > 0) generated = await grow(admin, context.databaseUrl, toAdd);
    else process.stderr.write(`growth: the ledger already holds ${options.growthEntries.toLocaleString('en')} entries or more; not growing it\n`);
    const large = await measure('large');

    const p50Ratio = Object.fromEntries(
      GROWTH_KINDS.flatMap((kind) => {
        const before = small.phase.latency[kind]?.p50Ms;
        const after = large.phase.latency[kind]?.p50Ms;
        return before && after ? [[kind, after / before]] : [];
      }),
    );
    const figures: GrowthFigures = { workers: GROWTH_WORKERS, small: small.phase, large: large.phase, generated, p50Ratio };
    // Errors of both measurements count; the main figures are the large ledger's.
    const errorKinds = { ...small.result.errorKinds };
    for (const [kind, count] of Object.entries(large.result.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + count;
    return { ...large.result, errors: small.result.errors + large.result.errors, errorKinds, accounts: accounts.length, extra: { ...figures } };
  } finally {
    wallet.close();
    await admin.end();
  }
}

async function countEntries(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM journal_entries');
  return Number(rows[0]!.count);
}

async function grow(admin: pg.Client, databaseUrl: string, entries: number): Promise<NonNullable<GrowthFigures['generated']>> {
  const accounts = Math.max(1, Math.min(GROWTH_ACCOUNTS_MAX, Math.ceil(entries / ENTRIES_PER_GENERATED_ACCOUNT)));
  const bar = new cliProgress.SingleBar(
    {
      format: `growth: generating [{bar}] {value}/{total} entries | {step} | {duration}s`,
      hideCursor: true,
      clearOnComplete: false,
      fps: PROGRESS_FPS,
      // Redraw on the timer even when no chunk finished, so that the elapsed time keeps moving.
      forceRedraw: true,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  process.stderr.write(`growth: adding about ${entries.toLocaleString('en')} journal entries over ${accounts.toLocaleString('en')} generated accounts (logins from ${GROWTH_FIRST_LOGIN})\n`);
  bar.start(entries, 0, { step: 'starting' });
  let generated: LedgerGenerated;
  try {
    generated = await generateLedger(admin, {
      entries,
      accounts,
      firstLogin: GROWTH_FIRST_LOGIN,
      onProgress: ({ step, entriesDone, entriesTotal }) => {
        bar.setTotal(entriesTotal);
        bar.update(entriesDone, { step });
      },
    });
  } finally {
    bar.stop();
  }
  process.stderr.write(`growth: generated ${generated.entries.toLocaleString('en')} entries in ${(generated.totalMs / 1000).toFixed(1)} s; VACUUM ANALYZE...\n`);
  let startedAt = Date.now();
  await admin.query('VACUUM ANALYZE journal_entries, postings, trades, accounts');
  const vacuumMs = Date.now() - startedAt;
  startedAt = Date.now();
  await checkpoint(databaseUrl);
  const checkpointMs = Date.now() - startedAt;
  process.stderr.write(`growth: VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s, CHECKPOINT ${(checkpointMs / 1000).toFixed(1)} s\n`);
  return { ...generated, firstLogin: GROWTH_FIRST_LOGIN, vacuumMs, checkpointMs };
}
