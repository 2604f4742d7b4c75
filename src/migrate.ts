/**
 * Applies the migrations and SQL definitions to DATABASE_URL (used by the test setup to build the
 * template database; the service migrates by itself on start).
 */
import { createDatabase } from './db/database';
import { migrateToLatest } from './db/migrator';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const db = createDatabase(url, { poolMax: 2, applicationName: 'wallet-migrate' });
  try {
    const { migrations, definitions } = await migrateToLatest(db);
    console.log(`migrations applied: ${migrations.length}, SQL definitions applied: ${definitions.length}`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
