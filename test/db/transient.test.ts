import { fundedAccount, useCoreDatabase } from '../support/core-database';
import pg from 'pg';
import { callDatabase, NOTHING_APPLIED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../src/db/transient';
import { AccountBusyError, UnavailableError } from '../../src/shared/errors';

/** How the database's failures become the service's answers (db/transient.ts), on a real server. */
const db = useCoreDatabase();

describe('callDatabase', () => {
  it('answers "retry" for a server that is read-only, as a standby or a primary being promoted is', async () => {
    const client = await db.sql().connect();
    try {
      await client.query('BEGIN READ ONLY');
      const refused = callDatabase(() => client.query(`SELECT nextval('order_numbers')`));
      await expect(refused).rejects.toBeInstanceOf(UnavailableError);
      await expect(refused).rejects.toThrow(NOTHING_APPLIED_MESSAGE);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('says the outcome is unknown when the connection dies under a statement, and that nothing was applied when there is no server', async () => {
    const victim = await db.sql().connect();
    // the pool's listener is off a checked-out client: the socket's end after the kill must not throw
    victim.on('error', () => undefined);
    const killer = await db.sql().connect();
    try {
      const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const running = callDatabase(() => victim.query('SELECT pg_sleep(30)'));
      running.catch(() => undefined); // asserted below, after the kill
      // wait until the statement is on the server, then end its session as a failing primary would
      for (let attempt = 0; ; attempt += 1) {
        const activity = await killer.query(
          `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'`,
          [rows[0]!.pid],
        );
        if (activity.rowCount === 1) break;
        if (attempt === 100) throw new Error('the statement never showed in pg_stat_activity');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await expect(running).rejects.toBeInstanceOf(UnavailableError);
      await expect(running).rejects.toThrow(OUTCOME_UNKNOWN_MESSAGE);
    } finally {
      victim.release(true);
      killer.release();
    }

    // a port nothing listens on: the statement never left
    const nowhere = new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    nowhere.on('error', () => undefined);
    const unreachable = callDatabase(() => nowhere.connect());
    await expect(unreachable).rejects.toBeInstanceOf(UnavailableError);
    await expect(unreachable).rejects.toThrow(NOTHING_APPLIED_MESSAGE);
  });

  it('answers "account busy" when a lock does not come within the lock timeout, and retries a serialization failure', async () => {
    const { login } = await fundedAccount(db.sql(), 0n);
    const holder = await db.sql().connect();
    const waiter = await db.sql().connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
      await waiter.query(`SET lock_timeout = '50ms'`);
      await expect(
        callDatabase(() => waiter.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login])),
      ).rejects.toBeInstanceOf(AccountBusyError);
    } finally {
      await holder.query('ROLLBACK');
      await waiter.query('RESET lock_timeout');
      holder.release();
      waiter.release();
    }
    let attempts = 0;
    const result = await callDatabase(async () => {
      attempts += 1;
      if (attempts < 3) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      return 'done';
    });
    expect({ result, attempts }).toEqual({ result: 'done', attempts: 3 });
  });
});
