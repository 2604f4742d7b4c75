import pg from 'pg';
import { createDatabase, type Database } from '../../../src/db/database';
import { EventRelay } from '../../../src/core/events/event-relay';
import { EventStore, type StoredEvent } from '../../../src/core/events/event-store';
import { createLogger } from '../../../src/observability/logger';
import { Metrics } from '../../../src/observability/metrics';
import { createTestDatabase } from '../../support/database';
import { eventually } from '../../support/manager';

let database: { url: string; drop: () => Promise<void> };
let db: Database;
let sql: pg.Pool;
let relay: EventRelay;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 4 });
  sql = new pg.Pool({ connectionString: database.url, max: 4 });
  sql.on('error', () => undefined); // an idle connection ended by the server is replaced on next use
  await sql.query(`INSERT INTO accounts (login, currency) VALUES (1, 'USD'), (2, 'USD')`);
  relay = new EventRelay(new EventStore(db), database.url, createLogger('silent'), new Metrics());
  await relay.start();
});
afterAll(async () => {
  await relay.stop();
  await db.destroy();
  await sql.end();
  await database.drop();
});

const insertEvent = (client: pg.Pool | pg.PoolClient, login: number, order: number) =>
  client.query(
    `SELECT (ledger_post($1, $2, 'test', 0, 0, 0, NULL, 'system', 'test', NULL, 'c',
                         'EV_RECORD_ADD', NULL, 'USD', 6::smallint, 3::smallint, 150, 1, 2, NULL, NULL, NULL, NULL)).event_id AS id`,
    [login, order],
  );

describe('event relay', () => {
  it('delivers an event that commits after a later one, exactly once', async () => {
    const seen: StoredEvent[] = [];
    const stop = await relay.listen((event) => seen.push(event));
    const slow = await sql.connect();
    await slow.query('BEGIN');
    const { rows } = await insertEvent(slow, 1, 100); // takes the lower id, commits last
    await insertEvent(sql, 2, 101);
    relay.committed();
    await eventually(() => seen.some((event) => event.orderNo === 101n));
    expect(seen.map((event) => event.orderNo)).toEqual([101n]);
    await slow.query('COMMIT');
    slow.release();
    relay.committed();
    await eventually(() => seen.length === 2);
    relay.committed();
    await insertEvent(sql, 2, 102);
    relay.committed();
    await eventually(() => seen.length === 3);
    expect(seen.map((event) => event.orderNo)).toEqual([101n, 100n, 102n]);
    expect(seen[1]!.id).toBe(BigInt(rows[0].id));
    expect(seen[1]).toMatchObject({
      type: 'EV_RECORD_ADD',
      login: 1n,
      cmd: 6,
      state: 3,
      currency: 'USD',
      profitMinor: 150n,
      comment: 'c',
    });
    stop();
  });

  it('delivers a late event of a transaction in progress above the snapshot xmax (not in its xip list)', async () => {
    // Woken by its poll only: relay.committed() would NOTIFY, and that NOTIFY's own xid, completing,
    // would raise the xmax of the relay's next snapshot above the transaction under test.
    const seen: StoredEvent[] = [];
    const stop = await relay.listen((event) => seen.push(event));
    const first = await sql.connect();
    const second = await sql.connect();
    try {
      await first.query('BEGIN');
      await first.query('SELECT pg_current_xact_id()');
      await second.query('BEGIN');
      await second.query('SELECT pg_current_xact_id()'); // a higher xid than the first's
      await insertEvent(second, 1, 300); // takes the lower id, commits last
      await insertEvent(first, 2, 301);
      // The latest completed xid is now the first's: the second is in progress above the xmax of the
      // relay's next snapshot, which therefore does not list it among the transactions in progress.
      await first.query('COMMIT');
      await eventually(() => seen.some((event) => event.orderNo === 301n));
      await second.query('COMMIT');
      await eventually(() => seen.some((event) => event.orderNo === 300n));
      await insertEvent(sql, 2, 302);
      await eventually(() => seen.some((event) => event.orderNo === 302n));
      expect(seen.map((event) => event.orderNo)).toEqual([301n, 300n, 302n]);
    } finally {
      first.release();
      second.release();
      stop();
    }
  });

  it('never delivers events of a rolled-back transaction, and starts a new listener from now', async () => {
    await insertEvent(sql, 1, 200); // before the listener: not delivered
    const seen: StoredEvent[] = [];
    const stop = await relay.listen((event) => seen.push(event));
    const aborted = await sql.connect();
    await aborted.query('BEGIN');
    await insertEvent(aborted, 1, 201);
    await insertEvent(sql, 1, 202);
    relay.committed();
    await aborted.query('ROLLBACK');
    aborted.release();
    await insertEvent(sql, 1, 203);
    relay.committed();
    await eventually(() => seen.some((event) => event.orderNo === 203n));
    expect(seen.map((event) => event.orderNo)).toEqual([202n, 203n]);
    stop();
  });
});
