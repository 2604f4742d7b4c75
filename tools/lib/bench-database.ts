/**
 * The benchmark's PostgreSQL: a fresh database per run so that results are comparable (no ledger
 * left over from an earlier run), on the server of DATABASE_URL or on an embedded server started in
 * a fresh temporary directory with its default, durable settings.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { withDatabaseName } from '../../src/db/database';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded-postgres';

export const EMBEDDED_BENCH_DATABASE = 'wallet_bench';
/** How long the embedded server may take to initialise and start, in milliseconds. */
const EMBEDDED_START_TIMEOUT_MS = 120_000;

export interface BenchDatabase {
  url: string;
  embedded: boolean;
  /** `SELECT version()` of the server. */
  serverVersion: string;
  /** The embedded server's postmaster pid (for CPU accounting); undefined for an external server. */
  serverPid: number | undefined;
  /** Drops the database and, for the embedded server, stops it and deletes its directory. */
  close(): Promise<void>;
}

export async function provisionBenchDatabase(externalUrl: string | undefined): Promise<BenchDatabase> {
  return externalUrl ? onExternalServer(externalUrl) : onEmbeddedServer();
}

/** A uniquely named database: never drops a database of someone else's on a shared server. */
async function onExternalServer(serverUrl: string): Promise<BenchDatabase> {
  const name = `wallet_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = withDatabaseName(serverUrl, name);
  return {
    url,
    embedded: false,
    serverVersion: await serverVersion(url),
    serverPid: undefined,
    close: () => dropDatabase(serverUrl, name),
  };
}

async function onEmbeddedServer(): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-bench-'));
  // When we run as root, embedded-postgres runs the server as the `postgres` user, which must be
  // able to enter this directory (mkdtemp creates it 0700).
  chmodSync(dataDir, 0o755);
  // a signal handler that calls process.exit can cut our own cleanup short: the directory still
  // goes, synchronously, on exit.
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeDataDir);
  let handle: EmbeddedPostgresHandle;
  try {
    handle = await startWithTimeout(dataDir);
  } catch (error) {
    stopOrphanedServer(dataDir);
    removeDataDir();
    throw error;
  }
  const close = async () => {
    try {
      await dropDatabase(handle.url, EMBEDDED_BENCH_DATABASE);
    } finally {
      try {
        await handle.stop();
      } finally {
        removeDataDir();
        process.off('exit', removeDataDir);
      }
    }
  };
  try {
    const version = await serverVersion(handle.url);
    return { url: handle.url, embedded: true, serverVersion: version, serverPid: postmasterPid(dataDir), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startWithTimeout(dataDir: string): Promise<EmbeddedPostgresHandle> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`embedded PostgreSQL did not start within ${EMBEDDED_START_TIMEOUT_MS} ms`)),
      EMBEDDED_START_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([startEmbeddedPostgres({ dataDir, database: EMBEDDED_BENCH_DATABASE }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * startEmbeddedPostgres gives no handle when it fails after the server started (for example while
 * creating the database): stop the server it started, found by the pid in its own postmaster.pid.
 */
function stopOrphanedServer(dataDir: string): void {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL's "fast shutdown"
  } catch {
    // already gone
  }
}

/** The server's pid, first line of its postmaster.pid. */
function postmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A second, empty database on the same server as `url` (named after it with `suffix`): a scenario
 * that compares two databases (growth) runs both on one server, so that they share its machine,
 * its settings and its moment.
 */
export async function provisionSiblingDatabase(
  url: string,
  suffix: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const name = `${new URL(url).pathname.slice(1)}_${suffix}`;
  await dropDatabase(url, name); // a sibling left over by an interrupted run
  await adminQuery(url, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  return { url: withDatabaseName(url, name), close: () => dropDatabase(url, name) };
}

async function dropDatabase(urlOnServer: string, name: string): Promise<void> {
  await adminQuery(urlOnServer, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE cannot run inside the target). */
async function adminQuery(urlOnServer: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabaseName(urlOnServer, 'postgres') });
  client.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
    return rows[0]!.version;
  } finally {
    await client.end();
  }
}

/**
 * Flushes dirty pages, so that a scenario does not pay for the previous one's checkpoint. Needs
 * superuser: on an external server without it, scenarios may share checkpoint I/O.
 */
export async function checkpoint(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } catch {
    // not a superuser: go on without
  } finally {
    await client.end();
  }
}
