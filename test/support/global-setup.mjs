// Starts one real PostgreSQL for the whole run (the embedded one, or the server of
// TEST_DATABASE_URL), builds a template database with every migration applied once, and tells the
// test workers where it is. Each test file then clones the template (test/support/database.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const TEMPLATE_DATABASE = `wallet_test_template_${process.pid}`;

export default async function globalSetup() {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    // the service's own start of the embedded server (src/db/embedded-postgres.ts), so that the
    // tests start it wherever npm start can: as root from a private clone too
    const { tsImport } = await import('tsx/esm/api');
    const { startEmbeddedPostgres } = await tsImport('../../src/db/embedded-postgres.ts', import.meta.url);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wallet-test-pg-'));
    chmodSync(dataDir, 0o755); // the server runs as the unprivileged postgres user when we are root
    let server;
    try {
      server = await startEmbeddedPostgres({
        dataDir,
        database: 'postgres',
        // Test data is disposable: skip disk flushes. Durability is what the chaos suite measures.
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
        // in the test run's process group: an interrupted run stops it too
        ownProcessGroup: false,
      });
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      // one line, as npm start says it (jest would print a stack under it)
      const line = `npm test: ${error.message}`;
      const failure = new Error(line);
      failure.stack = line;
      throw failure;
    }
    globalThis.__walletTestPostgres = { server, dataDir };
    serverUrl = server.url;
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
