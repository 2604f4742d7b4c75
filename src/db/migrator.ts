import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './database';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/**
 * SQL functions are code, not schema: they are kept beside the feature that owns them and applied
 * after the migrations whenever their text changes (CREATE OR REPLACE), like Flyway's repeatable
 * migrations. Tables only change through the append-only files under migrations/.
 */
export const SQL_DEFINITION_FILES = [
  'src/core/ledger/ledger.sql',
  'src/core/wallet/wallet.sql',
  'src/core/balance-operations/balance-operations.sql',
];

/** Serialises concurrent start-ups of several instances on one database. */
const SQL_DEFINITIONS_LOCK_KEY = 7_340_001;

export async function migrateToLatest(db: Database): Promise<{ migrations: string[]; definitions: string[] }> {
  const [, applied] = (await db.migrate.latest({ directory: MIGRATIONS_DIR, loadExtensions: ['.ts', '.js'] })) as [
    number,
    string[],
  ];
  const definitions = await applySqlDefinitions(db);
  return { migrations: applied, definitions };
}

async function applySqlDefinitions(db: Database): Promise<string[]> {
  const changed: string[] = [];
  await db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [SQL_DEFINITIONS_LOCK_KEY]);
    for (const file of SQL_DEFINITION_FILES) {
      const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const current = await trx('sql_definitions').where({ name: file }).first('checksum');
      if (current?.checksum === checksum) continue;
      await trx.raw(text);
      await trx.raw(
        `INSERT INTO sql_definitions (name, checksum) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()`,
        [file, checksum],
      );
      changed.push(file);
    }
  });
  return changed;
}

/** True when every migration file has been applied (used by /healthz). */
export async function migrationsAreCurrent(db: Database): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ directory: MIGRATIONS_DIR, loadExtensions: ['.ts', '.js'] })) as [
    unknown[],
    unknown[],
  ];
  return pending.length === 0;
}
