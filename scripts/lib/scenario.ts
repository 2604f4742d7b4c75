/**
 * What a benchmark scenario is and what it gets to work with. A scenario is an object with a name
 * and a `run`; bench.ts runs the selected ones in order on one database and one service process.
 * New scenarios (TPC-B baseline, growth, memory) are new objects in its list.
 */
import type { BenchAccount } from './account-setup';
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
  /** Pass to runClosedLoop: bench.ts measures CPU use over the measured window. */
  window: WindowObserver;
}

/** A scenario's own figures; bench.ts adds the name, the service's memory and the ratios. */
export interface ScenarioMeasurement extends LoadResult {
  /** How many accounts the load was spread over. */
  accounts: number;
  extra?: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  description: string;
  /** What the requests went through: the service over HTTP, its manager TCP API, or straight to PostgreSQL. */
  transport: 'http' | 'tcp' | 'db';
  /** The scenario whose throughput is this one's ceiling (the ratio column of the report). */
  baseline?: string;
  run(context: BenchContext): Promise<ScenarioMeasurement>;
}
