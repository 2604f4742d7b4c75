import type pg from 'pg';
import { fundedAccount, newNonce, useCoreDatabase } from '../../support/core-database';

/**
 * The wallet engine (wallet.sql) called directly, as WalletStore calls it: the rules a transport
 * cannot see, and interleavings of database transactions forced at the SQL level.
 */
const db = useCoreDatabase();

interface WalletOp {
  kind: 'balance' | 'open' | 'close';
  nonce?: string | null;
  tokenHash: Buffer;
  currency?: string;
  amountMinor?: bigint | null;
  tradeId?: string | null;
}

const EXECUTE = `SELECT r_outcome AS outcome, r_login::text AS login, r_available_minor::text AS available
                   FROM wallet_execute($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[], $9)`;

function execute(client: pg.Pool | pg.PoolClient, ops: WalletOp[], wait = false) {
  return client
    .query(EXECUTE, [
      ops.map((op) => op.kind),
      ops.map((op) => op.nonce ?? null),
      ops.map((op) => op.tokenHash),
      ops.map((op) => op.currency ?? 'USD'),
      ops.map((op) => (op.amountMinor === undefined || op.amountMinor === null ? null : op.amountMinor.toString())),
      ops.map((op) => (op.tradeId ? 'engine' : null)),
      ops.map((op) => op.tradeId ?? null),
      ops.map(() => null),
      wait,
    ])
    .then((result) => result.rows as Array<{ outcome: string; login: string | null; available: string | null }>);
}

async function tradeEntries(sql: pg.Pool, tradeId: string): Promise<string[]> {
  const { rows } = await sql.query(`SELECT operation FROM journal_entries WHERE actor = $1 ORDER BY id`, [
    `engine:${tradeId}`,
  ]);
  return rows.map((row) => row.operation as string);
}

describe('wallet_execute', () => {
  it('accepts one copy of a nonce in a batch and refuses the other copies as replays', async () => {
    const { tokenHash } = await fundedAccount(db.sql(), 1000n);
    const nonce = newNonce();
    const results = await execute(db.sql(), [
      { kind: 'balance', nonce, tokenHash },
      { kind: 'open', nonce, tokenHash, amountMinor: 10n, tradeId: 'nonce-twice' },
      { kind: 'balance', nonce: newNonce(), tokenHash },
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['OK', 'INVALID_DIGEST', 'OK']);
    expect(await tradeEntries(db.sql(), 'nonce-twice')).toEqual([]);
    // and a nonce stored by an earlier batch is a replay too
    expect((await execute(db.sql(), [{ kind: 'balance', nonce, tokenHash }]))[0]!.outcome).toBe('INVALID_DIGEST');
  });

  it('never pays a trade twice when two transactions close it at once', async () => {
    const sql = db.sql();
    const { login, tokenHash } = await fundedAccount(sql, 1000n);
    await execute(sql, [{ kind: 'open', tokenHash, amountMinor: 100n, tradeId: 'raced' }]);
    const first = await sql.connect();
    const second = await sql.connect();
    try {
      await first.query('BEGIN');
      expect(
        (await execute(first, [{ kind: 'close', tokenHash, amountMinor: 250n, tradeId: 'raced' }], true))[0]!.outcome,
      ).toBe('OK');
      // the second close starts while the first is not committed: it must wait for the account, then see the trade closed
      const racing = execute(second, [{ kind: 'close', tokenHash, amountMinor: 250n, tradeId: 'raced' }], true);
      await waitForLockWait(sql);
      await first.query('COMMIT');
      expect(await racing).toEqual([{ outcome: 'OK', login: String(login), available: '1150' }]);
    } finally {
      first.release();
      second.release();
    }
    expect(await tradeEntries(sql, 'raced')).toEqual(['trade_open', 'trade_close']);
    const { rows } = await sql.query(
      `SELECT balance_minor::text AS balance, held_minor::text AS held FROM accounts WHERE login = $1`,
      [login],
    );
    expect(rows[0]).toEqual({ balance: '1150', held: '0' });
  });

  it('answers ACCOUNT_BUSY, nothing done and its nonce kept, for an account someone else holds; waits in wait mode', async () => {
    const sql = db.sql();
    const { login, tokenHash } = await fundedAccount(sql, 1000n);
    const other = await fundedAccount(sql, 1000n);
    const holder = await sql.connect();
    const waiter = await sql.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
      const nonce = newNonce();
      const results = await execute(sql, [
        { kind: 'open', nonce, tokenHash, amountMinor: 10n, tradeId: 'busy-1' },
        { kind: 'open', nonce: newNonce(), tokenHash: other.tokenHash, amountMinor: 10n, tradeId: 'busy-other' },
        { kind: 'balance', nonce: newNonce(), tokenHash },
      ]);
      expect(results.map((result) => result.outcome)).toEqual(['ACCOUNT_BUSY', 'OK', 'OK']);
      expect(
        (await sql.query(`SELECT count(*)::int AS n FROM wallet_nonces WHERE nonce = $1`, [nonce])).rows[0].n,
      ).toBe(0);
      // in wait mode it waits for the lock, under the session's lock_timeout
      await waiter.query(`SET lock_timeout = '100ms'`);
      await expect(
        execute(waiter, [{ kind: 'open', nonce, tokenHash, amountMinor: 10n, tradeId: 'busy-1' }], true),
      ).rejects.toMatchObject({ code: '55P03' });
      await holder.query('ROLLBACK');
      await waiter.query(`SET lock_timeout = 0`);
      expect(
        (await execute(waiter, [{ kind: 'open', nonce, tokenHash, amountMinor: 10n, tradeId: 'busy-1' }], true))[0]!
          .outcome,
      ).toBe('OK');
    } finally {
      holder.release();
      waiter.release();
    }
    expect(await tradeEntries(sql, 'busy-1')).toEqual(['trade_open']);
  });

  it('answers INVALID_TOKEN for an unknown token, never ACCOUNT_BUSY', async () => {
    const results = await execute(db.sql(), [
      { kind: 'open', tokenHash: Buffer.alloc(32), amountMinor: 1n, tradeId: 'nobody' },
      { kind: 'close', tokenHash: Buffer.alloc(32), amountMinor: 1n, tradeId: 'nobody' },
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['INVALID_TOKEN', 'INVALID_TOKEN']);
  });

  it('looks at the trade key before the account: a key reused in another currency is a duplicate', async () => {
    const sql = db.sql();
    const { tokenHash } = await fundedAccount(sql, 1000n);
    await execute(sql, [{ kind: 'open', tokenHash, amountMinor: 10n, tradeId: 'key-first' }]);
    const results = await execute(sql, [
      { kind: 'open', tokenHash, amountMinor: 10n, tradeId: 'key-first', currency: 'EUR' },
      { kind: 'open', tokenHash, amountMinor: 10n, tradeId: 'key-first' },
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['IDEMPOTENCY_MISMATCH', 'OK']);
    const { rows } = await sql.query(
      `SELECT detail->>'original_currency' AS currency FROM refused_duplicates WHERE idempotency_key = 'engine:key-first'`,
    );
    expect(rows).toEqual([{ currency: 'USD' }]);
  });

  it('takes a stake from balance first, then credit, and gives the credit part back first', async () => {
    const sql = db.sql();
    const { login, tokenHash } = await fundedAccount(sql, 30n);
    await sql.query(
      `SELECT balance_operation_apply($1, nextval('order_numbers'), NULL, 7::smallint, 'credit', 'credit', 'bonus', 50, NULL, NULL,
                                      NULL, NULL, 'admin', 'test', NULL, '\\x00', NULL)`,
      [login],
    );
    await execute(sql, [{ kind: 'open', tokenHash, amountMinor: 60n, tradeId: 'split' }]);
    const bucketsAfterOpen = await sql.query(
      `SELECT balance_minor, credit_minor, held_minor FROM accounts WHERE login = $1`,
      [login],
    );
    expect(bucketsAfterOpen.rows[0]).toEqual({ balance_minor: '0', credit_minor: '20', held_minor: '60' });
    await execute(sql, [{ kind: 'close', tokenHash, amountMinor: 40n, tradeId: 'split' }]);
    const bucketsAfterClose = await sql.query(
      `SELECT balance_minor, credit_minor, held_minor FROM accounts WHERE login = $1`,
      [login],
    );
    expect(bucketsAfterClose.rows[0]).toEqual({ balance_minor: '10', credit_minor: '50', held_minor: '0' });
  });
});

/** Waits until some backend of this database waits for a lock (the forced interleaving is in place). */
async function waitForLockWait(sql: pg.Pool): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no transaction came to wait for the lock');
}
