import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { createCore, type Core, type CoreOptions } from '../core/core';
import { HTTP_ERROR_BY_CODE } from '../transports/http/error-handler';
import { ManagerTcpServer } from '../transports/manager-api/tcp-server';
import type { Logger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { createHttpApp } from './http-app';

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

/** Limits a caller may change (the tests do); production runs with the defaults. */
export interface ServiceOptions {
  /** How long a manager connection may stay without logging in (default UNAUTHENTICATED_IDLE_TIMEOUT_MS). */
  managerLoginTimeoutMs?: number;
  /** How long an HTTP request may take to arrive, headers and body (default HTTP_REQUEST_TIMEOUT_MS). */
  httpRequestTimeoutMs?: number;
  /** Authentication failures allowed (default THROTTLE_LIMITS): raised by tests that send wrong keys on purpose. */
  throttleLimits?: CoreOptions['throttleLimits'];
}

export interface RunningService {
  httpPort: number;
  managerPort: number;
  core: Core;
  metrics: Metrics;
  /** Stops taking new work, finishes what is in flight, closes the pool. */
  stop(): Promise<void>;
}

/**
 * One instance of the service on `databaseUrl`: migrates, builds the finance core, and serves HTTP.
 * Used by main.ts and by the tests (with port 0).
 */
export async function startService(
  config: Config,
  databaseUrl: string,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<RunningService> {
  const metrics = new Metrics();
  const core = createCore({
    databaseUrl,
    ...(config.databaseReadUrl ? { readUrl: config.databaseReadUrl } : {}),
    accountLockTimeoutMs: config.accountLockTimeoutMs,
    walletTokenTtlS: config.walletTokenTtlS,
    moneyBatching: config.moneyBatching,
    ...(options.throttleLimits ? { throttleLimits: options.throttleLimits } : {}),
    metrics,
    logger,
  });
  let stopping = false;
  try {
    await (config.migrateOnStart ? core.migrate() : core.checkSchema());
    await core.start();
  } catch (error) {
    await core.stop();
    throw error;
  }
  metrics.observePool(() => core.poolUsage());

  const app = createHttpApp({
    core,
    config,
    metrics,
    logger,
    isHealthy: async () => !stopping && (await core.isHealthy()),
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

  const manager = new ManagerTcpServer({
    core,
    metrics,
    logger,
    syncTimeoutMs: config.managerSyncTimeoutMs,
    tls: config.managerTls,
    ...(options.managerLoginTimeoutMs === undefined ? {} : { loginTimeoutMs: options.managerLoginTimeoutMs }),
  });
  let httpPort: number;
  let managerPort: number;
  try {
    httpPort = await listen(server, config.httpPort, config.host);
    managerPort = await manager.listen(config.host, config.managerPort);
  } catch (error) {
    // a port in use: nothing is left running (the manager server, listening last, did not start)
    if (server.listening) server.close();
    await core.stop();
    throw error;
  }

  return {
    httpPort,
    managerPort,
    core,
    metrics,
    async stop() {
      if (stopping) return;
      stopping = true;
      // A keep-alive connection closes once its request in flight is answered; a request arriving
      // meanwhile on such a connection is new work and is refused (refuseWhileStopping).
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      await Promise.all([closeHttpServer(server), manager.stop(config.managerSyncTimeoutMs + SHUTDOWN_GRACE_MS)]);
      await core.stop();
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** 503 (retry elsewhere; nothing was done) on a keep-alive connection's request after a stop began, then close. */
function refuseWhileStopping(req: http.IncomingMessage, res: http.ServerResponse): void {
  const wallet = req.url?.startsWith('/wallet/') ?? false;
  const message = 'the server is stopping; retry';
  res.writeHead(HTTP_ERROR_BY_CODE.UNAVAILABLE.status, { 'Content-Type': 'application/json', Connection: 'close' });
  res.end(
    JSON.stringify(
      wallet ? { status: 'Unavailable', message } : { error: HTTP_ERROR_BY_CODE.UNAVAILABLE.error, message },
    ),
  );
}

async function closeHttpServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  await closed;
  clearTimeout(grace);
}
