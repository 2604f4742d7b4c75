/**
 * What a benchmark scenario is and what it gets to work with. A scenario is an object with a name
 * and a `run`; bench.ts runs the selected ones in order on one database and one service process.
 * The TPC-B baselines (tpcb.ts), growth (growth.ts) and the paced spread (paced-scenarios.ts) are
 * objects in its list like the others.
 */
import type { BenchAccount } from './account-setup';
import type { CleanupStack } from './cleanup';
import type { CpuShare } from './cpu-usage';
import type { BenchManager, ManagerRole } from './manager-connections';
import type { LoadResult, WindowObserver } from './load';
import type { ServiceApi } from './service-api';
import type { ServiceCredentials, ServiceProcess } from './service-process';

export interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  /** Accounts of the spread scenarios. */
  accounts: number;
  /** Concurrent workers: HTTP connections to the service, or pooled connections to PostgreSQL. */
  connections: number;
  quick: boolean;
  /** Requests/s of the paced scenario (spread-half); undefined: half of what `spread` measured in this run. */
  rate?: number;
  /** Journal entries the `growth` scenario grows the ledger to (default 10,000,000; quick 200,000). */
  growthEntries: number;
  /** Where the service writes its V8 CPU profile when it stops (--cpu-prof); undefined: no profile. */
  cpuProfileDir?: string;
  /** The service's settings for this run (--service-env), e.g. MONEY_LANES. */
  serviceEnv: Record<string, string>;
}

export interface BenchContext {
  options: BenchOptions;
  databaseUrl: string;
  service: ServiceProcess;
  credentials: ServiceCredentials;
  /** Admin/operator/wallet client for set-up; scenarios open their own clients for load. */
  api: ServiceApi;
  /** The spread accounts, set up once on first use and shared by every scenario after. */
  spreadAccounts(): Promise<BenchAccount[]>;
  /** The one well-funded account of the hot scenarios, set up once on first use. */
  hotAccount(): Promise<BenchAccount>;
  /** A manager of this role (POST /admin/managers), created once on first use; connections log in with it. */
  manager(role: ManagerRole): Promise<BenchManager>;
  /** Pass to runClosedLoop: bench.ts measures CPU use over the measured window (perRequest: of the last window). */
  window: WindowObserver & { perRequest(requests: number): CpuShare | null };
  /** The run's cleanup (also run on SIGINT/SIGTERM): a scenario registers what it starts beyond the run's own. */
  cleanup: CleanupStack;
  /**
   * Another service process like the one under test (same settings, no profile), on another
   * database of the same server, with a CPU window of its own; the caller stops it.
   */
  launchSibling(databaseUrl: string): Promise<{ service: ServiceProcess; window: BenchContext['window'] }>;
  /** The measurement of a scenario that already ran in this run (spread-half paces itself on spread's). */
  measured(name: string): ScenarioMeasurement | undefined;
}

/** A scenario's own figures; bench.ts adds the name, the service's memory and the ratios. */
export interface ScenarioMeasurement extends LoadResult {
  /** How many accounts the load was spread over. */
  accounts: number;
  extra?: Record<string, unknown>;
  /** CPU per request, when the scenario measures it itself (growth: over its large ledger's slices); otherwise bench.ts's window. */
  cpuMsPerRequest?: CpuShare | null;
  /** Set when the scenario could not run here (no pgbench binary, no rate to pace at): why. Its figures are zeros. */
  skipped?: string;
  /** Set when only the mean latency is known (pgbench's own output): percentiles are NaN, printed as "-". */
  latencyMeanOnly?: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  /** What the requests went through: the service over HTTP, its manager TCP API, or straight to PostgreSQL. */
  transport: 'http' | 'tcp' | 'db';
  /** The issue-5 baseline (a TPC-B scenario) whose operations/s this one's requests/s are compared with. */
  baseline?: string;
  /** The db-direct scenario doing the same database work without the service (a second ratio column). */
  ceiling?: string;
  run(context: BenchContext): Promise<ScenarioMeasurement>;
}

/** The measurement of a scenario that did not run here, with the reason (reported, not an error). */
export function skippedMeasurement(reason: string, workers = 0): ScenarioMeasurement {
  return { ...noLoadMeasurement(workers, 0), skipped: reason };
}

/** A measurement without load figures (zeros): a scenario that did not run, or one of steps (heavy-admin). */
export function noLoadMeasurement(workers: number, accounts: number): ScenarioMeasurement {
  return {
    workers,
    durationMs: 0,
    requests: 0,
    pairs: 0,
    insufficientFunds: 0,
    errors: 0,
    errorKinds: {},
    requestsPerS: 0,
    pairsPerS: 0,
    latency: { count: 0, meanMs: 0, minMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 },
    accounts,
  };
}
