import { fundedAccount, useCoreDatabase } from '../support/core-database';
import { callDatabase } from '../../src/db/transient';
import { AccountBusyError, UnavailableError } from '../../src/shared/errors';

/** How the database's failures become the service's answers (db/transient.ts), on a real server. */
const db = useCoreDatabase();

describe('callDatabase', () => {
  it('answers "retry" for a server that is read-only, as a standby or a primary being promoted is', async () => {
    const client = await db.sql().connect();
    try {
      await client.query('BEGIN READ ONLY');
      await expect(callDatabase(() => client.query(`SELECT nextval('order_numbers')`))).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('answers "account busy" when a lock does not come within the lock timeout, and retries a serialization failure', async () => {
    const { login } = await fundedAccount(db.sql(), 0n);
    const holder = await db.sql().connect();
    const waiter = await db.sql().connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
      await waiter.query(`SET lock_timeout = '50ms'`);
      await expect(callDatabase(() => waiter.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]))).rejects.toBeInstanceOf(AccountBusyError);
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
