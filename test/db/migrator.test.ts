import { createDatabase, type Database } from '../../src/db/database';
import { checkSchema, migrateToLatest, SQL_DEFINITION_FILES } from '../../src/db/migrator';
import { createTestDatabase } from '../support/database';

/**
 * The SQL definitions (the engines' functions) are applied again whenever their text changes: over
 * a database where the previous text is in place, with everything it created depending on it.
 */
let database: { url: string; drop: () => Promise<void> };
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 2 });
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

it('applies every changed SQL definition over the one in place, and the schema is current after it', async () => {
  await db('sql_definitions').update({ checksum: 'the text of an older build' });
  await expect(checkSchema(db)).rejects.toThrow(`not migrated to this version (${SQL_DEFINITION_FILES.length} pending`);
  expect(await migrateToLatest(db)).toEqual({ migrations: [], definitions: SQL_DEFINITION_FILES });
  await expect(checkSchema(db)).resolves.toBeUndefined();
  // and the engines work: a balance batch (whose result type was dropped and made again) answers
  const { rows } = await db.raw<{ rows: { outcome: string }[] }>(
    `SELECT outcome FROM balance_operation_apply_batch('[]'::jsonb) UNION ALL SELECT 'none'`,
  );
  expect(rows).toEqual([{ outcome: 'none' }]);
});

it('applies nothing when nothing changed', async () => {
  await migrateToLatest(db);
  expect(await migrateToLatest(db)).toEqual({ migrations: [], definitions: [] });
});
