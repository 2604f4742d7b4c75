import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PoolStats {
  used: number;
  free: number;
  pending: number;
}

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** prom-client's default gauges that carry a counter's `_total` suffix; dropped from /metrics. */
export const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** The service's Prometheus metrics, one registry per instance (tests run several). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'wallet_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'status_code'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'wallet_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly httpInFlight = new Gauge({
    name: 'wallet_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered',
    registers: [this.registry],
  });
  readonly walletOutcomes = new Counter({
    name: 'wallet_api_outcomes_total',
    help: 'Wallet API answers by action and platform status',
    labelNames: ['action', 'status'],
    registers: [this.registry],
  });
  readonly walletBatchSize = new Histogram({
    name: 'wallet_engine_batch_size',
    help: 'Wallet requests executed together in one database transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly balanceBatchSize = new Histogram({
    name: 'wallet_balance_operation_batch_size',
    help: 'Balance operations (admin API, manager finance commands) executed together in one database transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly managerCommands = new Counter({
    name: 'wallet_manager_commands_total',
    help: 'Manager TCP commands by command and answer status',
    labelNames: ['command', 'status'],
    registers: [this.registry],
  });
  readonly managerDuration = new Histogram({
    name: 'wallet_manager_command_duration_seconds',
    help: 'Manager TCP command latency, from receipt to answer',
    labelNames: ['command'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly managerConnections = new Gauge({
    name: 'wallet_manager_connections',
    help: 'Open manager TCP connections',
    registers: [this.registry],
  });
  readonly syncWaiters = new Gauge({
    name: 'wallet_sync_waiters',
    help: 'Sync commands waiting for their event',
    registers: [this.registry],
  });
  readonly eventLag = new Histogram({
    name: 'wallet_event_lag_seconds',
    help: 'Time from an event being written to it being broadcast by this instance',
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  private poolStats: () => PoolStats | undefined = () => undefined;
  readonly dbPool = new Gauge({
    name: 'wallet_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [this.registry],
    collect: () => {
      const stats = this.poolStats();
      if (!stats) return;
      for (const [state, count] of Object.entries(stats)) this.dbPool.set({ state }, count);
    },
  });
  readonly dbRetries = new Counter({
    name: 'wallet_db_transaction_retries_total',
    help: 'Transactions retried after a serialization failure or deadlock',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these three gauges `..._total`, a suffix Prometheus keeps for counters
    // (`promtool check metrics` fails on them); each is the sum of its gauge by type beside it
    // (nodejs_active_handles, nodejs_active_requests, nodejs_active_resources), so nothing is lost.
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
  }

  /** Pool usage is read when /metrics is scraped. */
  observePool(stats: () => PoolStats | undefined): void {
    this.poolStats = stats;
  }
}
