import pg from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { INVARIANT_QUERIES } from '../../src/core/reconciliation/invariant-queries';
import { startService, type RunningService, type ServiceOptions } from '../../src/app/service';
import { createTestDatabase } from './database';

export const TEST_WALLET_SECRET = 'test-wallet-secret-0123456789abcdef';
export const TEST_OPERATOR_KEY = 'test-operator-key-0123456789abcdef';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestService {
  service: RunningService;
  baseUrl: string;
  databaseUrl: string;
  config: Config;
  /** A direct connection to the test database, for assertions and for provoking faults. */
  sql: pg.Pool;
  stop(): Promise<void>;
}

/**
 * Throttle limits for tests that send wrong credentials on purpose to check something else (every
 * credential against every API, fuzzing): no throttle answers in place of the refusal under test.
 * The throttle itself is tested with the real limits.
 */
const NOT_LIMITING = { failuresMax: 1_000_000, windowS: 60 };
export const UNTHROTTLED: NonNullable<ServiceOptions['throttleLimits']> = {
  'bearer-address': NOT_LIMITING,
  'console-user': NOT_LIMITING,
  'console-address': NOT_LIMITING,
};

/**
 * A real service instance on a fresh database (or on `databaseUrl`, to run a second instance),
 * listening on ephemeral ports; `options` shortens limits such as the manager login timeout.
 */
export async function startTestService(
  env: Record<string, string> = {},
  databaseUrl?: string,
  options: ServiceOptions = {},
): Promise<TestService> {
  const database = databaseUrl ? { url: databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: '0',
    MANAGER_PORT: '0',
    WALLET_SECRETS: TEST_WALLET_SECRET,
    OPERATOR_API_KEY: TEST_OPERATOR_KEY,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const service = await startService(config, database.url, createLogger(config.logLevel), options);
  const sql = new pg.Pool({ connectionString: database.url, max: 4 });
  sql.on('error', () => undefined); // an idle connection ended by the server is replaced on next use
  return {
    service,
    baseUrl: `http://127.0.0.1:${service.httpPort}`,
    databaseUrl: database.url,
    config,
    sql,
    async stop() {
      await service.stop();
      await sql.end();
      await database.drop();
    },
  };
}

/** Runs every ledger invariant; returns the discrepancies found (an empty list when all hold). */
export async function ledgerDiscrepancies(sql: pg.Pool): Promise<{ check: string; row: Record<string, unknown> }[]> {
  const found: { check: string; row: Record<string, unknown> }[] = [];
  for (const query of INVARIANT_QUERIES) {
    const { rows } = await sql.query(query.sql);
    for (const row of rows) found.push({ check: query.check, row });
  }
  return found;
}
