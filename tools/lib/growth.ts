/**
 * growth: issue 5's "getbalance and opentrade latency with 10,000 and with 10,000,000 ledger
 * entries already in the database" (target: p50 at 10M within 1.2x of p50 at 10k, in every run).
 *
 * The two ledgers are measured side by side, not one after the other: on a shared machine whose
 * speed drifts by up to 2x between minutes, two measurements minutes apart compared the minutes,
 * not the ledgers (getbalance, which reads no ledger table, "grew" as much as opentrade).
 * 1. the small ledger: a second database on the same server (`<name>_growth_small`) with a second
 *    service process like the one under test, and the same spread accounts set up on it (about one
 *    journal entry each, their deposits);
 * 2. the large ledger: the bench's own database, grown to options.growthEntries journal entries
 *    with tools/lib/ledger-generator.ts on generated accounts of their own login range, then VACUUM
 *    ANALYZE and CHECKPOINT, as a database that grew over months would have been;
 * 3. GROWTH_ROUNDS rounds, each measuring both ledgers in turn (which goes first alternates) for a
 *    short slice with GROWTH_WORKERS closed-loop workers, each iteration getbalance, opentrade and
 *    closetrade on a random spread account. A ledger's figures are its slices merged.
 * The scenario's main figures are the large ledger's; both are in `extra` (GrowthFigures).
 */
import os from 'node:os';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { WalletClient } from '@wallet-service/client';
import { setUpAccounts, SETUP_CONCURRENCY, type BenchAccount } from './account-setup';
import { checkpoint, provisionSiblingDatabase } from './bench-database';
import { CleanupStack } from './cleanup';
import type { CpuShare } from './cpu-usage';
import type { LatencySummary } from './latency';
import { generateLedger, type LedgerGenerated } from './ledger-generator';
import { measureClosedLoop, type LoadMeter } from './load';
import type { BenchContext, Scenario, ScenarioMeasurement } from './scenario';
import { ServiceApi } from './service-api';
import { BENCH_CURRENCY, HOT_LOGIN, pickIndex, SPREAD_DEPOSIT, SPREAD_FIRST_LOGIN, tradeId } from './trade-load';
import { getBalance, tradePair } from './wallet-scenarios';

/** A small fixed concurrency: latency, not throughput, is measured. */
export const GROWTH_WORKERS = 4;
/** Rounds of one slice per ledger; slices are short so that both ledgers see the same minutes. */
const GROWTH_ROUNDS = 8;
const GROWTH_SLICE_WARMUP_MS = 500;
const GROWTH_SLICE_MS = 2_000;
const GROWTH_QUICK_ROUNDS = 2;
const GROWTH_QUICK_SLICE_WARMUP_MS = 300;
const GROWTH_QUICK_SLICE_MS = 1_000;
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
  /** Rows of journal_entries of this ledger when the measurement started, and when it ended. */
  entriesBefore: number;
  entriesAfter: number;
  requestsPerS: number;
  errors: number;
  latency: Partial<Record<(typeof GROWTH_KINDS)[number], LatencySummary>>;
  /** CPU per request over the measured slices, by party (as in the report's CPU table). */
  cpuMsPerRequest: CpuShare | null;
  /**
   * Cores kept busy by other processes than the bench, the services and PostgreSQL over the slices,
   * and the 1-minute load average at the end: when they differ between the two ledgers, other
   * work shared the machine and the latencies are not comparable.
   */
  otherCores: number | null;
  loadAverage: number;
}

export interface GrowthFigures {
  workers: number;
  /** Rounds of one slice per ledger, and each slice's measured milliseconds. */
  rounds: number;
  sliceMs: number;
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
    description: `getbalance / opentrade / closetrade latency (${GROWTH_WORKERS} closed-loop workers) on a small ledger and on one grown to --growth-entries journal entries, in alternating slices`,
    transport: 'http',
    run: runGrowth,
  };
}

/** One of the two ledgers: its database, the service in front of it, its accounts, and what its slices measured. */
interface Ledger {
  label: string;
  admin: pg.Client;
  wallet: WalletClient;
  accounts: BenchAccount[];
  window: BenchContext['window'];
  entriesBefore: number;
  meter?: LoadMeter;
  cpuMs: Record<keyof CpuShare, number | null>;
}

async function runGrowth(context: BenchContext): Promise<ScenarioMeasurement> {
  const { options } = context;
  const accounts = await context.spreadAccounts();
  if (GROWTH_FIRST_LOGIN <= SPREAD_FIRST_LOGIN + accounts.length || GROWTH_FIRST_LOGIN <= HOT_LOGIN) {
    throw new Error(
      `growth: generated logins from ${GROWTH_FIRST_LOGIN} would collide with the spread accounts (--accounts ${accounts.length})`,
    );
  }
  // Stopped when the scenario ends, or with the run's own cleanup if it is interrupted (a signal).
  const stack = new CleanupStack();
  context.cleanup.push('growth: the small ledger, its service and clients', () => stack.runAll());
  try {
    const smallDatabase = await provisionSiblingDatabase(context.databaseUrl, 'growth_small');
    stack.push('drop the small ledger database', () => smallDatabase.close());
    const sibling = await context.launchSibling(smallDatabase.url);
    stack.push("stop the small ledger's service", () => sibling.service.stop());
    const setupApi = new ServiceApi(sibling.service.baseUrl, context.credentials, SETUP_CONCURRENCY);
    stack.push('close the small ledger set-up client', () => setupApi.close());
    const smallAccounts = await setUpAccounts(setupApi, {
      label: 'set-up growth (small ledger)',
      logins: accounts.map((account) => account.login),
      currency: BENCH_CURRENCY,
      deposit: SPREAD_DEPOSIT,
    });

    const open = async (
      label: string,
      databaseUrl: string,
      baseUrl: string,
      ledgerAccounts: BenchAccount[],
      window: Ledger['window'],
    ): Promise<Ledger> => {
      const admin = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'wallet-bench-growth',
        statement_timeout: GROWTH_STATEMENT_TIMEOUT_MS,
      });
      admin.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
      await admin.connect();
      stack.push(`close the ${label} ledger's admin connection`, () => admin.end());
      const wallet = new WalletClient(baseUrl, context.credentials.walletSecret, { maxSockets: GROWTH_WORKERS });
      stack.push(`close the ${label} ledger's wallet client`, () => wallet.close());
      return {
        label,
        admin,
        wallet,
        accounts: ledgerAccounts,
        window,
        entriesBefore: 0,
        cpuMs: { client: 0, service: 0, postgres: 0, other: 0 },
      };
    };
    const small = await open('small', smallDatabase.url, sibling.service.baseUrl, smallAccounts, sibling.window);
    const large = await open('large', context.databaseUrl, context.service.baseUrl, accounts, context.window);

    const toAdd = options.growthEntries - (await countEntries(large.admin));
    let generated: GrowthFigures['generated'] = null;
    if (toAdd > 0) generated = await grow(large.admin, context.databaseUrl, toAdd);
    else
      process.stderr.write(
        `growth: the ledger already holds ${options.growthEntries.toLocaleString('en')} entries or more; not growing it\n`,
      );

    const rounds = options.quick ? GROWTH_QUICK_ROUNDS : GROWTH_ROUNDS;
    const slice = {
      workers: GROWTH_WORKERS,
      warmupMs: options.quick ? GROWTH_QUICK_SLICE_WARMUP_MS : GROWTH_SLICE_WARMUP_MS,
      durationMs: options.quick ? GROWTH_QUICK_SLICE_MS : GROWTH_SLICE_MS,
    };
    for (const ledger of [small, large]) ledger.entriesBefore = await countEntries(ledger.admin);
    process.stderr.write(
      `growth: ${rounds} rounds of ${slice.durationMs} ms per ledger, ${small.entriesBefore.toLocaleString('en')} vs ${large.entriesBefore.toLocaleString('en')} journal entries\n`,
    );
    for (let round = 0; round < rounds; round += 1) {
      for (const ledger of round % 2 === 0 ? [small, large] : [large, small]) await measureSlice(ledger, slice, round);
    }
    const smallPhase = await phaseOf(small);
    const largePhase = await phaseOf(large);
    const p50Ratio = Object.fromEntries(
      GROWTH_KINDS.flatMap((kind) => {
        const before = smallPhase.latency[kind]?.p50Ms;
        const after = largePhase.latency[kind]?.p50Ms;
        return before && after ? [[kind, after / before]] : [];
      }),
    );
    const figures: GrowthFigures = {
      workers: GROWTH_WORKERS,
      rounds,
      sliceMs: slice.durationMs,
      small: smallPhase,
      large: largePhase,
      generated,
      p50Ratio,
    };
    // Errors of both ledgers count; the main figures are the large ledger's.
    const result = large.meter!.result(GROWTH_WORKERS);
    const smallResult = small.meter!.result(GROWTH_WORKERS);
    const errorKinds = { ...smallResult.errorKinds };
    for (const [kind, count] of Object.entries(result.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + count;
    return {
      ...result,
      errors: smallResult.errors + result.errors,
      errorKinds,
      accounts: accounts.length,
      cpuMsPerRequest: largePhase.cpuMsPerRequest,
      extra: { ...figures },
    };
  } finally {
    await stack.runAll();
  }
}

/** One slice of one ledger: merged into its meter, its CPU added to its sums. */
async function measureSlice(
  ledger: Ledger,
  slice: { workers: number; warmupMs: number; durationMs: number },
  round: number,
): Promise<void> {
  const meter = await measureClosedLoop(
    { ...slice, window: ledger.window },
    async ({ worker, iteration, meter: sliceMeter }) => {
      const account = ledger.accounts[pickIndex(ledger.accounts.length)]!;
      await getBalance(ledger.wallet, account, sliceMeter);
      await tradePair(
        ledger.wallet,
        account,
        tradeId(`growth-${ledger.label}-${round}`, worker, iteration),
        sliceMeter,
      );
    },
  );
  const { requests } = meter.result(slice.workers);
  // a slice without an answered request has no CPU per request to add (its errors still count)
  if (requests > 0) addCpu(ledger.cpuMs, ledger.window.perRequest(requests), requests);
  if (ledger.meter === undefined) ledger.meter = meter;
  else ledger.meter.merge(meter);
}

/** Adds a slice's CPU (per request, times its requests) to the sums; a party not measured makes its sum null. */
function addCpu(sums: Ledger['cpuMs'], share: CpuShare | null, requests: number): void {
  for (const party of Object.keys(sums) as (keyof CpuShare)[]) {
    const perRequest = share?.[party];
    const sum = sums[party];
    sums[party] = perRequest === null || perRequest === undefined || sum === null ? null : sum + perRequest * requests;
  }
}

async function phaseOf(ledger: Ledger): Promise<GrowthPhase> {
  const result = ledger.meter!.result(GROWTH_WORKERS);
  const perRequest = (ms: number | null) => (ms === null || result.requests === 0 ? null : ms / result.requests);
  const { cpuMs } = ledger;
  return {
    label: ledger.label,
    entriesBefore: ledger.entriesBefore,
    entriesAfter: await countEntries(ledger.admin),
    requestsPerS: result.requestsPerS,
    errors: result.errors,
    latency: Object.fromEntries(
      GROWTH_KINDS.flatMap((kind) => (result.latencyByKind?.[kind] ? [[kind, result.latencyByKind[kind]]] : [])),
    ),
    cpuMsPerRequest:
      result.requests === 0
        ? null
        : {
            client: perRequest(cpuMs.client),
            service: perRequest(cpuMs.service),
            postgres: perRequest(cpuMs.postgres),
            other: perRequest(cpuMs.other),
          },
    otherCores: cpuMs.other === null ? null : cpuMs.other / result.durationMs,
    loadAverage: os.loadavg()[0]!,
  };
}

async function countEntries(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM journal_entries');
  return Number(rows[0]!.count);
}

async function grow(
  admin: pg.Client,
  databaseUrl: string,
  entries: number,
): Promise<NonNullable<GrowthFigures['generated']>> {
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
  process.stderr.write(
    `growth: adding about ${entries.toLocaleString('en')} journal entries over ${accounts.toLocaleString('en')} generated accounts (logins from ${GROWTH_FIRST_LOGIN})\n`,
  );
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
  process.stderr.write(
    `growth: generated ${generated.entries.toLocaleString('en')} entries in ${(generated.totalMs / 1000).toFixed(1)} s; VACUUM ANALYZE...\n`,
  );
  let startedAt = Date.now();
  await admin.query('VACUUM ANALYZE journal_entries, postings, trades, accounts');
  const vacuumMs = Date.now() - startedAt;
  startedAt = Date.now();
  await checkpoint(databaseUrl);
  const checkpointMs = Date.now() - startedAt;
  process.stderr.write(
    `growth: VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s, CHECKPOINT ${(checkpointMs / 1000).toFixed(1)} s\n`,
  );
  return { ...generated, firstLogin: GROWTH_FIRST_LOGIN, vacuumMs, checkpointMs };
}
