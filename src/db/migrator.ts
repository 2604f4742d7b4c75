import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { StartupError } from '../shared/errors';
import type { Database } from './database';

/**
 * Where the product's files are: `src/` when run from the sources, `dist/` in a build, which holds
 * the compiled migrations (dist/migrations) and the SQL files beside their features.
 */
const PRODUCT_ROOT = path.resolve(__dirname, '..');
const MIGRATIONS_DIR = [path.join(PRODUCT_ROOT, 'migrations'), path.join(PRODUCT_ROOT, '..', 'migrations')].find(
  (dir) => existsSync(dir),
)!;

/**
 * SQL functions are code, not schema: they are kept beside the feature that owns them and applied
 * after the migrations whenever their text changes (CREATE OR REPLACE), like Flyway's repeatable
 * migrations. Tables only change through the append-only files under migrations/. A definition's
 * name (kept in sql_definitions) is its path in the source tree, whether the sources or a build run.
 */
export const SQL_DEFINITION_FILES = [
  'src/core/ledger/ledger.sql',
  'src/core/wallet/wallet.sql',
  'src/core/balance-operations/balance-operations.sql',
  'src/core/access/failure-throttle.sql',
];

function readDefinition(name: string): string {
  return readFileSync(path.join(PRODUCT_ROOT, name.replace(/^src\//, '')), 'utf8');
}

/**
 * The migration files, by the names knex records in knex_migrations. A migration is recorded under
 * its TypeScript name (`<stamp>_<what>.ts`) whether the sources or the compiled build applied it, so
 * a database migrated by one is current for the other.
 */
class MigrationFiles implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    const files = await readdir(MIGRATIONS_DIR);
    return files.filter((file) => /^\d+_\w+\.(ts|js)$/.test(file)).sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.js$/, '.ts');
  }

  getMigration(file: string): Promise<Knex.Migration> {
    // migrations are CommonJS modules: compiled .js in a build, .ts loaded by tsx or ts-jest from the sources
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module named at run time, loaded synchronously
    return Promise.resolve(require(path.join(MIGRATIONS_DIR, file)) as Knex.Migration);
  }
}

const MIGRATIONS: Knex.MigratorConfig = { migrationSource: new MigrationFiles() };

/** What a database lacks for this build, or has that this build does not know. */
export interface SchemaStatus {
  /** Migrations and changed SQL definitions this build would apply. */
  pending: string[];
  /** Migrations the database has that this build does not (a newer build migrated it). */
  unknown: string[];
}

/** The database is not at this build's schema, and start-up was told not to migrate it. */
export class SchemaMismatchError extends StartupError {
  constructor(readonly status: SchemaStatus) {
    super(
      status.unknown.length > 0
        ? `the database was migrated by a newer version of the service (it has ${status.unknown.join(', ')}, unknown to this one): run that version or a newer one`
        : `the database is not migrated to this version (${status.pending.length} pending, first ${status.pending[0]}): run the migrate command first (npm run migrate, or node dist/migrate.js), or set MIGRATE_ON_START=true`,
    );
  }
}

/** Serialises concurrent start-ups of several instances on one database. */
const SQL_DEFINITIONS_LOCK_KEY = 7_340_001;

export async function migrateToLatest(db: Database): Promise<{ migrations: string[]; definitions: string[] }> {
  const status = await schemaStatus(db);
  if (status.unknown.length > 0) throw new SchemaMismatchError(status);
  const [, applied] = (await db.migrate.latest(MIGRATIONS)) as [number, string[]];
  const definitions = await applySqlDefinitions(db);
  return { migrations: applied, definitions };
}

async function applySqlDefinitions(db: Database): Promise<string[]> {
  const changed: string[] = [];
  await db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [SQL_DEFINITIONS_LOCK_KEY]);
    for (const file of SQL_DEFINITION_FILES) {
      const text = readDefinition(file);
      const checksum = definitionChecksum(text);
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

function definitionChecksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function schemaStatus(db: Database): Promise<SchemaStatus> {
  const files = new MigrationFiles();
  const known = new Set((await files.getMigrations()).map((file) => files.getMigrationName(file)));
  const applied: string[] = (await db.schema.hasTable('knex_migrations'))
    ? await db('knex_migrations').orderBy('id').pluck('name')
    : [];
  const appliedSet = new Set(applied);
  const definitions: { name: string; checksum: string }[] = (await db.schema.hasTable('sql_definitions'))
    ? await db('sql_definitions').select('name', 'checksum')
    : [];
  const checksums = new Map(definitions.map((row) => [row.name, row.checksum]));
  return {
    pending: [
      ...[...known].filter((name) => !appliedSet.has(name)),
      ...SQL_DEFINITION_FILES.filter((name) => checksums.get(name) !== definitionChecksum(readDefinition(name))),
    ],
    unknown: applied.filter((name) => !known.has(name)),
  };
}

/** Refuses a database that is not at this build's schema (start-up without MIGRATE_ON_START). */
export async function checkSchema(db: Database): Promise<void> {
  const status = await schemaStatus(db);
  if (status.pending.length > 0 || status.unknown.length > 0) throw new SchemaMismatchError(status);
}
