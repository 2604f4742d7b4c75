import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../observability/logger';

/**
 * Connections of one instance's pools (PostgreSQL's default max_connections is 100): money
 * transactions and the event relay; the back office's reads and reports; health checks. Each has its
 * own, so that reports or a locked account never take the connection a health check or a trade needs.
 */
export const DB_POOL_MAX = 20;
/** Money connections beyond the lanes' own (2 x MONEY_LANES): account lanes, the event relay, reads. */
export const DB_POOL_HEADROOM = 12;
export const DB_BACK_OFFICE_POOL_MAX = 8;
export const DB_HEALTH_POOL_MAX = 1;
/** How long a request may wait for a free pooled connection before failing transiently. */
export const DB_ACQUIRE_TIMEOUT_MS = 10_000;
/** A statement running longer than this is cancelled (guards against runaway queries). */
export const DB_STATEMENT_TIMEOUT_MS = 30_000;

export type Database = Knex;

/**
 * node-postgres returns BIGINT (int8) and NUMERIC as strings by default, which is what exact money
 * needs: every store converts them explicitly (`minorFromDb`). We only make sure nobody changes it.
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => value);

export interface DatabaseOptions {
  poolMax?: number;
  applicationName?: string;
  /** 0 = no limit (command-line tools reading a whole large ledger). */
  statementTimeoutMs?: number;
  /** How long a statement waits for a lock (a row someone else holds) before failing; 0 = no limit. */
  lockTimeoutMs?: number;
  /** Where knex's own warnings go (at debug level: each failure also reaches its caller). */
  logger?: Logger;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  // node-postgres sends these as start-up parameters of every connection (knex's type omits lock_timeout)
  const connection: pg.ClientConfig = {
    connectionString: url,
    application_name: options.applicationName ?? 'wallet-service',
    statement_timeout: options.statementTimeoutMs ?? DB_STATEMENT_TIMEOUT_MS,
    lock_timeout: options.lockTimeoutMs ?? 0,
  };
  return knex({
    client: 'pg',
    connection: connection as Knex.PgConnectionConfig,
    pool: { min: 0, max: options.poolMax ?? DB_POOL_MAX },
    acquireConnectionTimeout: DB_ACQUIRE_TIMEOUT_MS,
    // knex writes a failed connection's stack to the console; the error reaches the caller anyway
    log: knexLog(options.logger),
  });
}

function knexLog(logger: Logger | undefined): Knex.Config['log'] {
  const debug = (message: unknown) => logger?.debug({ knex: message });
  return { warn: debug, error: debug, deprecate: debug, debug };
}

/** Replaces the database name of a PostgreSQL URL. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Bindings for `db.raw`: node-postgres sends bigints, Buffers and arrays (with NULL elements) as
 * PostgreSQL values, which knex's binding type does not describe.
 */
export function bindings(values: readonly unknown[]): Knex.RawBinding[] {
  return values as Knex.RawBinding[];
}
