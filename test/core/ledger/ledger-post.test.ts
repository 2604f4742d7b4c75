import { fundedAccount, useCoreDatabase } from '../../support/core-database';

/** The ledger's write primitive (ledger.sql) called directly: what one money transaction records. */
// held moves here without the trades that explain it (the wallet engine keeps that invariant)
const db = useCoreDatabase({ invariantsNotKept: ['held_equals_open_stakes'] });

const POST = `SELECT * FROM ledger_post($1, $2, 'test_op', $3, $4, $5, $6, 'system', 'test', NULL, 'c',
                                      'EV_RECORD_ADD', NULL, 'USD', 6::smallint, 3::smallint, 0, 1, 2, NULL, NULL, NULL, NULL)`;

describe('ledger_post', () => {
  it('writes the bucket change, an entry whose postings sum to zero through the system book, and its event', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 1000n);
    const { rows } = await sql.query(POST, [login, 42, '-300', '100', '200', 'house']);
    expect(rows[0]).toMatchObject({ balance_after: '700', credit_after: '100', held_after: '200' });
    const postings = await sql.query(
      `SELECT book, amount_minor::text AS amount FROM postings WHERE entry_id = $1 ORDER BY book`,
      [rows[0].entry_id],
    );
    expect(postings.rows).toEqual([
      { book: 'balance', amount: '-300' },
      { book: 'credit', amount: '100' },
      { book: 'held', amount: '200' },
    ]);
    const event = await sql.query(`SELECT entry_id::text FROM events WHERE id = $1`, [rows[0].event_id]);
    expect(event.rows[0].entry_id).toBe(String(rows[0].entry_id));
  });

  it('writes an event without an entry when no money moves', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 10n);
    const { rows } = await sql.query(POST, [login, 43, '0', '0', '0', null]);
    expect(rows[0].entry_id).toBeNull();
    expect(
      (await sql.query(`SELECT count(*)::int AS n FROM events WHERE id = $1 AND entry_id IS NULL`, [rows[0].event_id]))
        .rows[0].n,
    ).toBe(1);
  });

  it('refuses a net change without a system book, an account book as system book, and a negative bucket', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 10n);
    await expect(sql.query(POST, [login, 44, '5', '0', '0', null])).rejects.toThrow(/needs a system book/);
    await expect(sql.query(POST, [login, 44, '5', '0', '0', 'held'])).rejects.toThrow(/account book/);
    await expect(sql.query(POST, [login, 44, '-11', '0', '0', 'cash'])).rejects.toMatchObject({
      code: '23514',
      constraint: 'balance_not_negative',
    });
  });

  it('refuses funds a settlement could not hold (balance + credit + 10,000 x held within 2^63)', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 0n);
    await expect(sql.query(POST, [login, 45, '0', '0', '922337203685478', 'house'])).rejects.toMatchObject({
      code: '23514',
      constraint: 'accounts_settlement_fits',
    });
    await sql.query(POST, [login, 45, '0', '0', '922337203685477', 'house']);
  });

  it('keeps the ledger append-only and its accounts for ever: no update or deletion of entries, no deletion or new login of an account', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 500n);
    await expect(sql.query(`UPDATE journal_entries SET comment = 'x' WHERE login = $1`, [login])).rejects.toThrow(
      /append-only/,
    );
    await expect(sql.query(`DELETE FROM postings`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`DELETE FROM accounts WHERE login = $1`, [login])).rejects.toThrow(
      /accounts are kept for ever/,
    );
    await expect(sql.query(`TRUNCATE accounts CASCADE`)).rejects.toThrow(/accounts are kept for ever|append-only/);
    await expect(sql.query(`UPDATE accounts SET login = login + 1000000 WHERE login = $1`, [login])).rejects.toThrow(
      /accounts are kept for ever/,
    );
    // the engines' updates of the buckets are untouched by the login's trigger
    await sql.query(`UPDATE accounts SET name = 'renamed', login = login WHERE login = $1`, [login]);
    const { rows } = await sql.query(`SELECT name, balance_minor::text AS balance FROM accounts WHERE login = $1`, [
      login,
    ]);
    expect(rows[0]).toEqual({ name: 'renamed', balance: '500' });
  });
});
