/**
 * `npm run migrate` / `node dist/migrate.js`: applies the migrations and SQL definitions to
 * DATABASE_URL (or to the embedded database under DATA_DIR), as a release step of its own: in
 * production the service refuses to start on a database that is not migrated. Exits 1 on failure,
 * with one line saying why.
 */
import { loadDatabaseSettings, readDotEnv } from './config';
import { createDatabase } from './db/database';
import { migrateToLatest } from './db/migrator';
import { openDatabase } from './db/database-target';
import { describeStartupFailure, type StartupContext } from './shared/startup-errors';

const startup: StartupContext = {};

async function main(): Promise<void> {
  readDotEnv();
  const target = await openDatabase(loadDatabaseSettings(process.env));
  startup.database = target.describe;
  const db = createDatabase(target.url, { poolMax: 2, applicationName: 'wallet-migrate' });
  try {
    const { migrations, definitions } = await migrateToLatest(db);
    console.log(`migrations applied: ${migrations.length}, SQL definitions applied: ${definitions.length}`);
  } finally {
    await db.destroy();
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(describeStartupFailure(error, startup) ?? error);
  process.exit(1);
});
