import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../shared/errors';
import {
  installedNativeDir,
  oneLine,
  reachableBinaries,
  reachableDatabaseDir,
  RELOCATED_DATA_ROOT,
  SERVER_OS_USER,
  serverUser,
  type EmbeddedPostgresPlacement,
  type ServerUser,
} from './embedded-postgres-placement';

/**
 * Starts the embedded, real PostgreSQL server with its data under `dataDir`, kept across restarts.
 * Used when DATABASE_URL is unset, and by the tests and tools for a server of their own.
 *
 * The binaries are those of the `embedded-postgres` package's platform package
 * (`@embedded-postgres/<platform>-<arch>`). That package's own launcher takes its binaries' paths
 * from where it is installed, with no option to give others, and spawns them without handling a
 * spawn failure (an unreachable binary ended the process with an unhandled EACCES and a stack). So
 * this module runs the same binaries itself: initdb once, then postgres, each failure one line.
 *
 * PostgreSQL refuses to run as root: as root its server runs as the unprivileged `postgres` user
 * (made when missing), which must reach the binaries and the data. A clone in a private directory
 * (a root user's home is mode 700) is out of its reach, so then:
 * - the binaries run from a copy under os.tmpdir(), one per package version, made once, owned by
 *   root and readable (not writable) by others;
 * - the data of a new cluster is kept in RELOCATED_DATA_ROOT (a root-owned directory that user can
 *   enter, like Debian's own /var/lib/postgresql), and DATA_DIR/pg is a symbolic link to it. The
 *   data must outlive the process and a reboot (os.tmpdir() is emptied at boot on many systems),
 *   and opening the user's private directories to every user (chmod o+x) would let anyone on the
 *   machine read whatever files in them are world-readable; there is no way to open them to the
 *   `postgres` user alone without ACL tools that a newcomer's machine may lack.
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
  /**
   * The server in a process group of its own (default): a terminal's Ctrl-C reaches only us, and
   * our graceful stop ends it after the requests in flight. The test run's server shares ours, so
   * that an interrupted run does not leave it behind.
   */
  ownProcessGroup?: boolean;
  /** Where things are; the defaults serve every caller, the tests move them into places of their own. */
  placement?: Partial<EmbeddedPostgresPlacement>;
}

const SUPERUSER = 'postgres';
/** How long initdb, or the server's start until it accepts connections, may take, in milliseconds. */
const EMBEDDED_START_TIMEOUT_MS = 120_000;
/** How long a stop waits for the server's fast shutdown before an immediate one, in milliseconds. */
const EMBEDDED_STOP_TIMEOUT_MS = 30_000;
/** Lines of a failing binary's output kept to say why it failed. */
const FAILURE_LINES_KEPT = 5;
/** What the server says once it accepts connections (its messages are in English: lc_messages=C). */
const READY_LINE = 'database system is ready to accept connections';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  try {
    return await start(options);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`the embedded PostgreSQL could not start: ${oneLine(error)}`);
  }
}

async function start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const placement = {
    nativeDir: installedNativeDir(),
    binariesCopyRoot: os.tmpdir(),
    relocatedDataRoot: RELOCATED_DATA_ROOT,
    ...options.placement,
  };
  const runAs = process.getuid?.() === 0 ? serverUser() : undefined;
  const binaries = runAs ? reachableBinaries(placement) : placement.nativeDir;
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const databaseDir = runAs ? reachableDatabaseDir(dataDir, placement.relocatedDataRoot) : path.join(dataDir, 'pg');
  const password = loadOrCreatePassword(dataDir);
  const log = options.onLog ?? (() => undefined);

  const runningPort = portOfRunningServer(databaseDir);
  if (runningPort !== undefined) {
    // A server left running by a killed process of ours: reuse it rather than fail on its lock file.
    log(`reusing the embedded PostgreSQL already running on port ${runningPort}`);
    const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${runningPort}/${options.database}`;
    await ensureDatabase(url, options.database);
    return { url, stop: async () => undefined };
  }

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await initdb(binaries, databaseDir, password, runAs, log);
  const port = options.port ?? (await findFreePort());
  // shared_buffers above the 128MB default: a ledger's hot index pages (the account/version index of
  // millions of entries) stay in PostgreSQL's cache instead of the operating system's.
  const settings = {
    listen_addresses: '127.0.0.1',
    max_connections: '200',
    shared_buffers: '256MB',
    lc_messages: 'C',
    ...options.settings,
  };
  const server = await startServer(binaries, databaseDir, port, settings, runAs, options.ownProcessGroup ?? true, log);
  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${options.database}`;
  try {
    await ensureDatabase(url, options.database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, stop: server.stop };
}

/** A new cluster: initdb, run as the server's user, with the superuser's password from a file only that user may read. */
async function initdb(
  binaries: string,
  databaseDir: string,
  password: string,
  runAs: ServerUser | undefined,
  log: (line: string) => void,
): Promise<void> {
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(databaseDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(os.tmpdir(), `wallet-pg-password-${randomBytes(8).toString('hex')}`);
  const fd = openSync(passwordFile, 'wx', 0o600);
  try {
    writeSync(fd, `${password}\n`);
    closeSync(fd);
    if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
    // C collation and messages: the same order and the same (parsed) messages on every machine
    const args = [
      `--pgdata=${databaseDir}`,
      '--auth=password',
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    const child = spawnBinary(path.join(binaries, 'bin', 'initdb'), args, runAs, false);
    const output = tail(child, log);
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new StartupError(`the embedded PostgreSQL's initdb did not finish within ${EMBEDDED_START_TIMEOUT_MS} ms`),
        );
      }, EMBEDDED_START_TIMEOUT_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(spawnFailure('initdb', error, binaries));
      });
      child.once('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0)
      throw new StartupError(
        `the embedded PostgreSQL's initdb failed (exit ${code}) for ${databaseDir}: ${output.join(' / ') || 'no output'}`,
      );
  } finally {
    unlinkSync(passwordFile);
  }
}

async function startServer(
  binaries: string,
  databaseDir: string,
  port: number,
  settings: Record<string, string>,
  runAs: ServerUser | undefined,
  ownProcessGroup: boolean,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const args = [
    '-D',
    databaseDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const child = spawnBinary(path.join(binaries, 'bin', 'postgres'), args, runAs, ownProcessGroup);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let ready = () => undefined as void;
  const output = tail(child, (line) => {
    log(line);
    if (line.includes(READY_LINE)) ready();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(
        new StartupError(
          `the embedded PostgreSQL did not accept connections within ${EMBEDDED_START_TIMEOUT_MS} ms: ${output.join(' / ')}`,
        ),
      );
    }, EMBEDDED_START_TIMEOUT_MS);
    ready = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(spawnFailure('postgres', error, binaries));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(
        new StartupError(
          `the embedded PostgreSQL exited at start (exit ${code}): ${output.join(' / ') || 'no output'}`,
        ),
      );
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT'); // PostgreSQL's fast shutdown: ends the sessions, checkpoints, exits
        const immediate = setTimeout(() => child.kill('SIGQUIT'), EMBEDDED_STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(immediate);
      })();
      return stopping;
    },
  };
}

function spawnBinary(binary: string, args: string[], runAs: ServerUser | undefined, detached: boolean): ChildProcess {
  return spawn(binary, args, {
    // '/': our working directory may be one the server's user cannot enter
    cwd: '/',
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
}

function spawnFailure(binary: string, error: Error & { code?: string }, binaries: string): StartupError {
  const reason = error.code === 'EACCES' ? `the '${SERVER_OS_USER}' user may not run ${binaries}` : oneLine(error);
  return new StartupError(`the embedded PostgreSQL's ${binary} could not be started: ${reason}`);
}

/** Passes every output line to `onLine`; returns the last few, kept to say why the binary failed. */
function tail(child: ChildProcess, onLine: (line: string) => void): string[] {
  const kept: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines.map((text) => text.trim()).filter(Boolean)) {
        onLine(line);
        kept.push(line);
        if (kept.length > FAILURE_LINES_KEPT) kept.shift();
      }
    });
  }
  return kept;
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
