import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { createDatabase, DB_BACK_OFFICE_POOL_MAX, DB_HEALTH_POOL_MAX, type Database } from './db/database';
import { migrateToLatest } from './db/migrator';
import { createHttpApp } from './http/app';
import { HTTP_ERROR_BY_CODE } from './http/error-handler';
import { Maintenance } from './maintenance/maintenance';
import { MaintenanceStore } from './maintenance/maintenance-store';
import { managerCommands } from './manager/manager-commands';
import { SyncTimeoutStore } from './manager/sync-timeout-store';
import { ManagerTcpServer } from './manager/tcp-server';
import type { Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { createServices, type Services } from './services';

/** HTTP server limits against slow or idle clients, in milliseconds. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How often Node checks the two timeouts above. Its default (30 s) let a client that trickles its
 * headers hold a connection for up to 40 s instead of HTTP_HEADERS_TIMEOUT_MS.
 */
export const HTTP_TIMEOUTS_CHECK_INTERVAL_MS = 1_000;
/** How long a stop waits for in-flight requests before closing their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Limits a caller may shorten (the tests do); production runs with the defaults. */
export interface ServiceOptions {
  /** How long a manager connection may stay without logging in (default UNAUTHENTICATED_IDLE_TIMEOUT_MS). */
  managerLoginTimeoutMs?: number;
  /** How long an HTTP request may take to arrive, headers and body (default HTTP_REQUEST_TIMEOUT_MS). */
  httpRequestTimeoutMs?: number;
}

export interface RunningService {
  httpPort: number;
  managerPort: number;
  maintenance: Maintenance;
  services: Services;
  metrics: Metrics;
  /** Stops taking new work, finishes what is in flight, closes the pool. */
  stop(): Promise<void>;
}

/**
 * One instance of the service on `databaseUrl`: migrates, builds the finance core, and serves HTTP.
 * Used by main.ts and by the tests (with port 0).
 */
export async function startService(config: Config, databaseUrl: string, logger: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const db = createDatabase(databaseUrl, { lockTimeoutMs: config.accountLockTimeoutMs });
  const backOfficeDb = createDatabase(databaseUrl, { poolMax: DB_BACK_OFFICE_POOL_MAX, applicationName: 'wallet-back-office', lockTimeoutMs: config.accountLockTimeoutMs });
  const healthDb = createDatabase(databaseUrl, { poolMax: DB_HEALTH_POOL_MAX, applicationName: 'wallet-health' });
  const closePools = () => Promise.all([db.destroy(), backOfficeDb.destroy(), healthDb.destroy()]);
  const metrics = new Metrics();
  let stopping = false;
  try {
    await migrateToLatest(db);
  } catch (error) {
    await closePools();
    throw error;
  }
  const services = createServices({ money: db, backOffice: backOfficeDb }, databaseUrl, config, metrics, logger);
  observePool(db, metrics);
  await services.events.start();
  const maintenance = new Maintenance(new MaintenanceStore(backOfficeDb), services.managerAuth, logger);
  maintenance.start();

  const app = createHttpApp({
    services,
    metrics,
    logger,
    isHealthy: async () => {
      if (stopping) return false;
      await healthDb.raw('SELECT 1');
      return true;
    },
  });
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer({ connectionsCheckingInterval: HTTP_TIMEOUTS_CHECK_INTERVAL_MS }, (req, res) => {
    if (stopping) {
      refuseWhileStopping(req, res);
      return;
    }
    inFlight.add(res);
    metrics.httpInFlight.set(inFlight.size);
    res.once('close', () => {
      inFlight.delete(res);
      metrics.httpInFlight.set(inFlight.size);
    });
    app(req, res);
  });
  const requestTimeoutMs = options.httpRequestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS;
  // Node enforces a slow body's request timeout only when the headers timeout is not longer
  // (its constructor refuses such options; the properties are not checked).
  server.headersTimeout = Math.min(HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs);
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.host, () => resolve());
  });
  const httpPort = (server.address() as AddressInfo).port;

  const syncTimeouts = new SyncTimeoutStore(backOfficeDb);
  const manager = new ManagerTcpServer({
    commands: managerCommands({ auth: services.managerAuth, accounts: services.accounts, balanceOperations: services.balanceOperations }),
    auth: services.managerAuth,
    relay: services.events,
    metrics,
    logger,
    syncTimeoutMs: config.managerSyncTimeoutMs,
    ...(options.managerLoginTimeoutMs === undefined ? {} : { loginTimeoutMs: options.managerLoginTimeoutMs }),
    recordSyncTimeout: (timeout) => syncTimeouts.insert(timeout),
  });
  const managerPort = await manager.listen(config.host, config.managerPort);

  return {
    httpPort,
    managerPort,
    maintenance,
    services,
    metrics,
    async stop() {
      if (stopping) return;
      stopping = true;
      // A keep-alive connection closes once its request in flight is answered; a request arriving
      // meanwhile on such a connection is new work and is refused (refuseWhileStopping).
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      await Promise.all([closeHttpServer(server), manager.stop(config.managerSyncTimeoutMs + SHUTDOWN_GRACE_MS)]);
      await Promise.all([services.events.stop(), maintenance.stop()]);
      await closePools();
    },
  };
}

/** 503 (retry elsewhere; nothing was done) on a keep-alive connection's request after a stop began, then close. */
function refuseWhileStopping(req: http.IncomingMessage, res: http.ServerResponse): void {
  const wallet = req.url?.startsWith('/wallet/') ?? false;
  const message = 'the server is stopping; retry';
  res.writeHead(HTTP_ERROR_BY_CODE.UNAVAILABLE.status, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(JSON.stringify(wallet ? { status: 'Unavailable', message } : { error: HTTP_ERROR_BY_CODE.UNAVAILABLE.error, message }));
}

async function closeHttpServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  await closed;
  clearTimeout(grace);
}

/** Pool usage for /metrics, read when scraped (knex keeps its pool in a tarn.js Pool). */
function observePool(db: Database, metrics: Metrics): void {
  type TarnPool = { numUsed(): number; numFree(): number; numPendingAcquires(): number };
  metrics.observePool(() => {
    const pool = (db.client as { pool?: TarnPool }).pool;
    return pool ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() } : undefined;
  });
}
