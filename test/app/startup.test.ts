import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { directoryClosedToOthers } from '../../src/db/embedded-postgres-placement';
import { createTestDatabase } from '../support/database';
import { runEntryPoint, type EntryPointRun } from '../support/entry-points';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from '../support/test-service';

/**
 * Each misconfiguration an operator meets at start-up ends the real entry point (`src/main.ts`, as
 * `npm start` runs it) with exit code 1 and one line that says what is wrong and what to set,
 * never a stack, and gives no secret out.
 */

const PRODUCTION = {
  NODE_ENV: 'production',
  WALLET_SECRETS: TEST_WALLET_SECRET,
  OPERATOR_API_KEY: TEST_OPERATOR_KEY,
  ADMIN_API_KEY: TEST_ADMIN_KEY,
  MANAGER_PLAINTEXT_ALLOWED: 'true',
};

let workDir: string;
let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-startup-'));
  chmodSync(workDir, 0o755); // mkdtemp's 700 would stop the embedded server's postgres user (as root)
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Starts the service with `env` (ports picked by the system, secrets generated under a DATA_DIR of its own). */
function start(env: Record<string, string>): Promise<EntryPointRun> {
  const dataDir = mkdtempSync(path.join(workDir, 'data-'));
  return runEntryPoint('src/main.ts', [], { env: { DATA_DIR: dataDir, PORT: '0', MANAGER_PORT: '0', ...env } });
}

function expectOneLineFailure(run: EntryPointRun, line: RegExp): void {
  expect(run.code).toBe(1);
  const printed = run.stderr.trim().split('\n');
  expect(printed).toHaveLength(1);
  expect(printed[0]).toMatch(line);
  expect(run.stdout).not.toContain('Generated secrets');
}

function freePort(): Promise<number> {
  const probe = net.createServer();
  return new Promise((resolve) =>
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    }),
  );
}

function withUrl(url: string, change: (parsed: URL) => void): string {
  const parsed = new URL(url);
  change(parsed);
  return parsed.toString();
}

it('a DATABASE_URL that is not a URL', async () => {
  expectOneLineFailure(
    await start({ DATABASE_URL: 'localhost:5432/wallet' }),
    /^invalid configuration: DATABASE_URL must be a URL like postgres:\/\//,
  );
});

it('a database nobody listens for, and no secret kept for the failed start', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(workDir, 'data-'));
  const run = await runEntryPoint('src/main.ts', [], {
    env: { DATA_DIR: dataDir, DATABASE_URL: `postgres://wallet:secret@127.0.0.1:${port}/wallet` },
  });
  expectOneLineFailure(
    run,
    new RegExp(`^cannot use PostgreSQL at 127\\.0\\.0\\.1:${port}/wallet \\(DATABASE_URL\\): connection refused`),
  );
  expect(existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
});

it('a wrong password, and a database that does not exist', async () => {
  const wrongPassword = withUrl(database.url, (url) => (url.password = 'not-the-password'));
  expectOneLineFailure(await start({ DATABASE_URL: wrongPassword }), /\(DATABASE_URL\): the password was refused$/);
  const missing = withUrl(database.url, (url) => (url.pathname = '/no_such_database'));
  expectOneLineFailure(
    await start({ DATABASE_URL: missing }),
    /\/no_such_database \(DATABASE_URL\): the database does not exist/,
  );
});

it('a port in use, HTTP or manager, names its setting', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
  const { port } = holder.address() as net.AddressInfo;
  try {
    expectOneLineFailure(
      await start({ DATABASE_URL: database.url, PORT: String(port) }),
      new RegExp(`^port ${port} \\(PORT\\) is in use by another process`),
    );
    expectOneLineFailure(
      await start({ DATABASE_URL: database.url, MANAGER_PORT: String(port) }),
      new RegExp(`^port ${port} \\(MANAGER_PORT\\) is in use`),
    );
  } finally {
    holder.close();
  }
});

it('in production: an unmigrated database is refused unless MIGRATE_ON_START, and a plain manager port unless allowed', async () => {
  const empty = await createTestDatabase({ empty: true });
  try {
    expectOneLineFailure(
      await start({ ...PRODUCTION, DATABASE_URL: empty.url }),
      /^the database is not migrated to this version \(\d+ pending, .*MIGRATE_ON_START=true$/,
    );
    const { MANAGER_PLAINTEXT_ALLOWED: _allowed, ...plain } = PRODUCTION;
    expectOneLineFailure(
      await start({ ...plain, DATABASE_URL: empty.url }),
      /^NODE_ENV=production refuses a plain-text manager port/,
    );
    const tables = await countTables(empty.url);
    expect(tables).toBe(0); // refused before touching anything
  } finally {
    await empty.drop();
  }
});

it('a database migrated by a newer version is refused, even where start-up migrates', async () => {
  const newer = await createTestDatabase();
  const client = new pg.Client({ connectionString: newer.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(
      `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('29991231000000_from_the_future.ts', 99, now())`,
    );
    expectOneLineFailure(
      await start({ DATABASE_URL: newer.url }),
      /^the database was migrated by a newer version of the service \(it has 29991231000000_from_the_future\.ts/,
    );
  } finally {
    await client.end();
    await newer.drop();
  }
});

it('names the directory that keeps the embedded server (run as postgres when we are root) out of DATA_DIR', () => {
  const closed = mkdtempSync(path.join(workDir, 'closed-'));
  chmodSync(closed, 0o700);
  const open = path.join(closed, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  expect(directoryClosedToOthers(path.join(open, 'data'))).toEqual({ dir: closed, mode: 0o700 });
  chmodSync(closed, 0o711);
  expect(directoryClosedToOthers(path.join(open, 'data'))).toBeUndefined();
});

async function countTables(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`,
    );
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}
