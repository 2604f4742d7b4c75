import { AccountService } from './accounts/account-service';
import { AccountLanes } from './accounts/account-lanes';
import { AccountStore } from './accounts/account-store';
import {
  ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT,
  MONEY_BATCHING_DEFAULT,
  WALLET_TOKEN_TTL_S_DEFAULT,
  type MoneyBatching,
} from '../config';
import { BalanceOperationService } from './balance-operations/balance-operation-service';
import { BalanceOperationStore } from './balance-operations/balance-operation-store';
import { DashboardService } from './dashboard/dashboard-service';
import { DashboardStore } from './dashboard/dashboard-store';
import {
  createDatabase,
  DB_BACK_OFFICE_POOL_MAX,
  DB_HEALTH_POOL_MAX,
  DB_POOL_HEADROOM,
  DB_POOL_MAX,
  type Database,
} from '../db/database';
import { checkSchema, migrateToLatest } from '../db/migrator';
import { ConsoleAccessService } from './access/console-access-service';
import { ConsoleUserStore } from './access/console-user-store';
import { FailureThrottle, THROTTLE_LIMITS } from './access/failure-throttle';
import { AuditLog } from './audit/audit-log';
import { EventRelay } from './events/event-relay';
import { EventStore } from './events/event-store';
import { LedgerService } from './ledger/ledger-service';
import { LedgerStore } from './ledger/ledger-store';
import { Maintenance } from './maintenance/maintenance';
import { MaintenanceStore } from './maintenance/maintenance-store';
import { ManagerAuthService } from './managers/manager-auth-service';
import { ManagerStore } from './managers/manager-store';
import { SyncTimeoutStore } from './balance-operations/sync-timeout-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { LaunchTokenService } from './launch-tokens/launch-token-service';
import { LaunchTokenStore } from './launch-tokens/launch-token-store';
import { MatchService } from './reconciliation/match-service';
import { ReconciliationService } from './reconciliation/reconciliation-service';
import { MatchStore, ReconciliationStore } from './reconciliation/reconciliation-store';
import { RunHistory } from './reconciliation/run-history';
import { RunHistoryStore } from './reconciliation/run-history-store';
import { WalletService } from './wallet/wallet-service';
import { WalletStore, type WalletOperation } from './wallet/wallet-store';

export interface CoreOptions {
  databaseUrl: string;
  /** A replica for reports, statements, exports and reconciliation (DATABASE_READ_URL); else the primary. */
  readUrl?: string;
  /** How long a money transaction waits for an account row someone else holds (ACCOUNT_LOCK_TIMEOUT_MS). */
  accountLockTimeoutMs?: number;
  /** Authentication failures allowed per subject (default THROTTLE_LIMITS; tests of other things raise them). */
  throttleLimits?: Partial<typeof THROTTLE_LIMITS>;
  /** Lifetime of a wallet token (WALLET_TOKEN_TTL_S). */
  walletTokenTtlS?: number;
  /** Lanes and batch size of the wallet and of the balance operations (MONEY_LANES, MONEY_BATCH_SIZE_MAX). */
  moneyBatching?: MoneyBatching;
  metrics: Metrics;
  logger: Logger;
  /** The command line reads whole ledgers: no statement timeout, a small pool, no relay or maintenance. */
  role?: 'service' | 'cli';
}

/**
 * The finance core's one front door: every transport (wallet, operator, admin and console over HTTP,
 * the manager API over TCP, the command line) calls the core only through these services, and none
 * builds or wires any of its own. The core knows nothing of HTTP or TCP.
 */
export interface Core {
  accounts: AccountService;
  launchTokens: LaunchTokenService;
  wallet: WalletService;
  /** Finance records: the admin API's balance operations and the manager API's finance commands. */
  finance: BalanceOperationService;
  ledger: LedgerService;
  managers: ManagerAuthService;
  /** Console users, their sessions and logins. */
  consoleAccess: ConsoleAccessService;
  /** Failed authentications counted across instances (console logins, wrong bearer keys). */
  authThrottle: FailureThrottle;
  /** Who did what, for the finance team and the auditors. */
  audit: AuditLog;
  events: EventRelay;
  reconciliation: ReconciliationService;
  matching: MatchService;
  /** Every reconciliation and matching run, kept as it was answered. */
  runs: RunHistory;
  /** The finance dashboard: money in and out and the trading result per currency and day, and the exposure. */
  dashboard: DashboardService;
  maintenance: Maintenance;
  /** True while the database answers (on a connection of its own, so nothing else can starve it). */
  isHealthy(): Promise<boolean>;
  /** Applies the migrations and the SQL functions (idempotent; serialised across instances). */
  migrate(): Promise<void>;
  /** Throws SchemaMismatchError unless the database is exactly at this version's schema. */
  checkSchema(): Promise<void>;
  /** Starts the event relay's listener and the periodic maintenance (the service, not the CLI). */
  start(): Promise<void>;
  /** Stops what start() started and closes every database connection the core opened. */
  stop(): Promise<void>;
  /** Connections in use, free and awaited in the money pool (for /metrics). */
  poolUsage(): { used: number; free: number; pending: number } | undefined;
}

/**
 * Builds the finance core on three pools of its own: money transactions and the event relay (which
 * Sync answers wait for); the back office's reads, reports and maintenance; health checks. None can
 * starve another: a report or a locked row never takes the connection a trade or a health check needs.
 */
export function createCore(options: CoreOptions): Core {
  const cli = options.role === 'cli';
  const { databaseUrl, metrics, logger } = options;
  const lockTimeoutMs = options.accountLockTimeoutMs ?? ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT;
  // No statement timeout on money connections: when it fires during a commit's wait for the
  // synchronous standby (a Patroni cluster, deploy/ha), PostgreSQL cancels the wait, keeps the commit
  // and reports success: an acknowledgement of a transaction a failover would erase. Their waits
  // are bounded by lock_timeout instead; the engines' statements are bounded by their batches.
  const moneyBatching = options.moneyBatching ?? MONEY_BATCHING_DEFAULT;
  // every lane (the wallet's and the balance operations') keeps one transaction in flight: the pool
  // must hold them all and leave room for account lanes, the event relay and the rest
  const moneyPoolMax = Math.max(DB_POOL_MAX, 2 * moneyBatching.lanes + DB_POOL_HEADROOM);
  const money = createDatabase(databaseUrl, {
    poolMax: cli ? 2 : moneyPoolMax,
    applicationName: cli ? 'wallet-cli' : 'wallet-service',
    statementTimeoutMs: 0,
    lockTimeoutMs,
    logger,
  });
  // the command line reads whole ledgers: no statement timeout there either
  const backOffice = createDatabase(databaseUrl, {
    poolMax: cli ? 2 : DB_BACK_OFFICE_POOL_MAX,
    applicationName: cli ? 'wallet-cli' : 'wallet-back-office',
    lockTimeoutMs,
    logger,
    ...(cli ? { statementTimeoutMs: 0 } : {}),
  });
  const health = createDatabase(databaseUrl, { poolMax: DB_HEALTH_POOL_MAX, applicationName: 'wallet-health', logger });
  // reports may read a replica: they read committed history, and a replica's lag only delays them
  const reports = options.readUrl
    ? createDatabase(options.readUrl, {
        poolMax: cli ? 2 : DB_BACK_OFFICE_POOL_MAX,
        applicationName: 'wallet-reports',
        logger,
        ...(cli ? { statementTimeoutMs: 0 } : {}),
      })
    : backOffice;

  const onRetry = () => metrics.dbRetries.inc();
  const eventStore = new EventStore(money);
  const events = new EventRelay(eventStore, databaseUrl, logger, metrics);
  const onEventsCommitted = () => events.committed();
  const walletStore = new WalletStore(money, onRetry, onEventsCommitted);
  const accountLanes = new AccountLanes((operations: WalletOperation[]) => walletStore.execute(operations, true));
  const audit = new AuditLog(backOffice);
  // a change and its audit row are written in one transaction, on the change's own connection
  const accounts = new AccountService(new AccountStore(money), audit);
  const reportAccounts = new AccountService(new AccountStore(reports), audit);
  const managers = new ManagerAuthService(new ManagerStore(money), audit);
  const authThrottle = new FailureThrottle(backOffice, { ...THROTTLE_LIMITS, ...options.throttleLimits });
  const consoleAccess = new ConsoleAccessService(new ConsoleUserStore(backOffice), authThrottle, audit);
  // the run history is written and read on the primary: a run just made is there to reopen at once
  const runHistory = new RunHistoryStore(backOffice);
  const maintenance = new Maintenance(new MaintenanceStore(backOffice), [managers, consoleAccess, runHistory], logger);

  return {
    accounts,
    launchTokens: new LaunchTokenService(new LaunchTokenStore(money), accounts),
    wallet: new WalletService(walletStore, accountLanes, {
      walletTokenTtlS: options.walletTokenTtlS ?? WALLET_TOKEN_TTL_S_DEFAULT,
      batching: moneyBatching,
      onBatch: (size) => metrics.walletBatchSize.observe(size),
    }),
    finance: new BalanceOperationService(
      new BalanceOperationStore(money, onRetry, onEventsCommitted),
      accountLanes,
      eventStore,
      accounts,
      new SyncTimeoutStore(backOffice),
      moneyBatching,
      (size) => metrics.balanceBatchSize.observe(size),
    ),
    ledger: new LedgerService(new LedgerStore(reports), reportAccounts, audit),
    managers,
    consoleAccess,
    authThrottle,
    audit,
    events,
    reconciliation: new ReconciliationService(new ReconciliationStore(reports), reportAccounts, runHistory, audit),
    matching: new MatchService(new MatchStore(reports), runHistory, audit),
    runs: new RunHistory(runHistory, audit),
    dashboard: new DashboardService(new DashboardStore(reports)),
    maintenance,
    async isHealthy() {
      await health.raw('SELECT 1');
      return true;
    },
    async migrate() {
      await migrateToLatest(money);
    },
    checkSchema: () => checkSchema(money),
    async start() {
      await events.start();
      maintenance.start();
    },
    async stop() {
      // both stop cleanly whether or not they were started (a start-up that failed half-way)
      await Promise.all([events.stop(), maintenance.stop()]);
      await Promise.all([
        money.destroy(),
        backOffice.destroy(),
        health.destroy(),
        ...(reports === backOffice ? [] : [reports.destroy()]),
      ]);
    },
    poolUsage: () => poolUsage(money),
  };
}

/** knex keeps its pool in a tarn.js Pool. */
function poolUsage(db: Database): { used: number; free: number; pending: number } | undefined {
  type TarnPool = { numUsed(): number; numFree(): number; numPendingAcquires(): number };
  const pool = (db.client as { pool?: TarnPool }).pool;
  return pool ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() } : undefined;
}
