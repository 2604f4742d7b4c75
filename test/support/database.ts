import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabaseName } from '../../src/db/database';

/**
 * A fresh database for one test file, cloned from the migrated template (fast: no migrations), or
 * `empty` (never migrated). Returns its URL and a function that drops it.
 */
export async function createTestDatabase(
  options: { empty?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.WALLET_TEST_SERVER_URL;
  const template = process.env.WALLET_TEST_TEMPLATE;
  if (!serverUrl || !template) throw new Error('test/support/global-setup.mjs did not run');
  const name = `wallet_test_${randomBytes(6).toString('hex')}`;
  await withServer(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${name} TEMPLATE ${options.empty ? 'template0' : template}`),
  );
  return {
    url: withDatabaseName(serverUrl, name),
    drop: () =>
      withServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withServer<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => undefined); // a failure of its one query is thrown by the query itself
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
