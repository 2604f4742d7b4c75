import { createDatabase, type Database } from '../../src/db/database';
import { STREAM_BATCH_ROWS, StreamedReadStalledError, streamedQuery } from '../../src/db/streamed-query';
import { createTestDatabase } from '../support/database';

/** Streamed reads on a pool whose statements are cut after 200 ms, as the back office's are after 30 s. */
let database: { url: string; drop: () => Promise<void> };
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase({ empty: true });
  db = createDatabase(database.url, { poolMax: 2, statementTimeoutMs: 200 });
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

/** Three rows, the second only after 0.3 s: longer than the pool's statement timeout. */
const SLOW_ROWS = `SELECT n, CASE WHEN n = 2 THEN pg_sleep(0.3) END AS pause FROM generate_series(1, 3) AS n`;

it('the pool cuts a slow statement (the premise)', async () => {
  await expect(db.raw(SLOW_ROWS)).rejects.toThrow(/statement timeout/);
});

it('reads every row of a stream that takes longer than the pool allows one statement', async () => {
  const rows: number[] = [];
  for await (const row of streamedQuery<{ n: number }>(db, SLOW_ROWS, [])) rows.push(row.n);
  expect(rows).toEqual([1, 2, 3]);
});

it('reads more rows than one batch, in order', async () => {
  let count = 0;
  let last = 0;
  for await (const row of streamedQuery<{ n: number }>(db, 'SELECT n FROM generate_series(1, ?::int) AS n', [
    STREAM_BATCH_ROWS * 3 + 7,
  ])) {
    count += 1;
    expect(row.n).toBe(last + 1);
    last = row.n;
  }
  expect(count).toBe(STREAM_BATCH_ROWS * 3 + 7);
});

it('gives its connection back when the reader stops early, again and again', async () => {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    for await (const row of streamedQuery<{ n: number }>(db, 'SELECT n FROM generate_series(1, 100000) AS n', [])) {
      if (row.n === 5) break;
    }
  }
  // with a pool of 2, a leaked connection or transaction would make this wait for its acquire timeout
  const { rows } = await db.raw<{ rows: { open: number }[] }>(
    `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
  );
  expect(rows[0]!.open).toBe(0);
});

it('ends the transaction of a reader that takes no row for too long, and tells it when it reads again', async () => {
  const rows = streamedQuery<{ n: number }>(db, 'SELECT n FROM generate_series(1, 100000) AS n', [], 100)[
    Symbol.asyncIterator
  ]();
  expect((await rows.next()).value).toEqual({ n: 1 });
  await new Promise((resolve) => setTimeout(resolve, 400));
  const { rows: open } = await db.raw<{ rows: { open: number }[] }>(
    `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
  );
  expect(open[0]!.open).toBe(0);
  await expect(rows.next()).rejects.toThrow(StreamedReadStalledError);
});

it('ends its transaction when the query fails half-way', async () => {
  const read = async () => {
    for await (const _row of streamedQuery<{ n: number }>(
      db,
      'SELECT 1 / (n - 1500) AS n FROM generate_series(1, 3000) AS n',
      [],
    )) {
      // reading on
    }
  };
  await expect(read()).rejects.toThrow(/division by zero/);
  const { rows } = await db.raw<{ rows: { open: number }[] }>(
    `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
  );
  expect(rows[0]!.open).toBe(0);
});

it('reads in a read-only transaction', async () => {
  const read = async () => {
    for await (const _row of streamedQuery(db, 'CREATE TABLE written_by_a_read AS SELECT 1 AS n', [])) {
      // nothing
    }
  };
  await expect(read()).rejects.toThrow(/read-only transaction/);
});
