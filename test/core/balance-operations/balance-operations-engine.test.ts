import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { fundedAccount, useCoreDatabase } from '../../support/core-database';

/**
 * The balance-operations engine (balance-operations.sql) called directly: create or update decided
 * by SQL alone, the record's own books, once-only keys, deletion, and the command id on every event.
 */
const db = useCoreDatabase();

interface Apply {
  login: number;
  targetOrder?: number | null;
  cmd?: number;
  operation?: string;
  bucket?: 'balance' | 'credit';
  book?: string;
  amountMinor: bigint;
  comment?: string | null;
  openTime?: number | null;
  closeTime?: number | null;
  key?: string | null;
  digest?: string;
  commandId?: string | null;
}

type Outcome = {
  outcome: string;
  order_no: string | null;
  event_type: string | null;
  event_id: string | null;
  bucket_minor: string | null;
};

async function apply(sql: pg.Pool, op: Apply): Promise<Outcome> {
  const { rows } = await sql.query(
    `SELECT * FROM balance_operation_apply($1, nextval('order_numbers'), $2, $3::smallint, $4, $5, $6, $7, $8, 'Finance', $9, $10,
                                           'manager', 'test', $11, $12::bytea, $13::uuid)`,
    [
      op.login,
      op.targetOrder ?? null,
      op.cmd ?? 6,
      op.operation ?? 'balance_in',
      op.bucket ?? 'balance',
      op.book ?? 'cash',
      op.amountMinor.toString(),
      op.comment ?? null,
      op.openTime ?? null,
      op.closeTime ?? null,
      op.key ?? null,
      Buffer.from(op.digest ?? 'd'),
      op.commandId ?? null,
    ],
  );
  return rows[0];
}

async function postingsOf(sql: pg.Pool, order: string): Promise<string[]> {
  const { rows } = await sql.query(
    `SELECT e.operation || ' ' || p.book || ' ' || p.amount_minor AS line FROM journal_entries e JOIN postings p ON p.entry_id = e.id
      WHERE e.order_no = $1 ORDER BY e.id, p.book`,
    [order],
  );
  return rows.map((row) => row.line as string);
}

describe('balance_operation_apply', () => {
  it("creates a record on its kind's books and writes the command id on its event", async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 0n);
    const commandId = randomUUID();
    const created = await apply(sql, { login, amountMinor: 500n, commandId });
    expect(created).toMatchObject({ outcome: 'OK', event_type: 'EV_RECORD_ADD', bucket_minor: '500' });
    expect(await postingsOf(sql, created.order_no!)).toEqual(['balance_in balance 500', 'balance_in cash -500']);
    const { rows } = await sql.query(
      `SELECT command_id, type, profit_minor::text, comment, state FROM events WHERE id = $1`,
      [created.event_id],
    );
    expect(rows[0]).toEqual({
      command_id: commandId,
      type: 'EV_RECORD_ADD',
      profit_minor: '500',
      comment: 'Finance',
      state: 3,
    });
  });

  it("updates a record on the record's own operation and book, keeping its comment, whatever kind the update names", async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 0n);
    const created = await apply(sql, {
      login,
      amountMinor: 300n,
      operation: 'debit',
      book: 'debit',
      comment: 'chargeback',
    });
    const updated = await apply(sql, { login, targetOrder: Number(created.order_no), amountMinor: 450n });
    expect(updated).toMatchObject({ outcome: 'OK', order_no: created.order_no, event_type: 'EV_RECORD_UPDATE' });
    expect(await postingsOf(sql, created.order_no!)).toEqual([
      'debit balance 300',
      'debit debit -300',
      'debit balance 150',
      'debit debit -150',
    ]);
    const { rows } = await sql.query(`SELECT comment, amount_minor::text FROM finance_records WHERE order_no = $1`, [
      created.order_no,
    ]);
    expect(rows[0]).toEqual({ comment: 'chargeback', amount_minor: '450' });
  });

  it("refuses an update of another login's record, or of another cmd's, and a record closed before it opened", async () => {
    const sql = db.sql();
    const owner = await fundedAccount(sql, 0n);
    const other = await fundedAccount(sql, 0n);
    const created = await apply(sql, { login: owner.login, amountMinor: 100n });
    expect(
      (await apply(sql, { login: other.login, targetOrder: Number(created.order_no), amountMinor: 1n })).outcome,
    ).toBe('ORDER_MISMATCH');
    expect(
      (await apply(sql, { login: owner.login, targetOrder: Number(created.order_no), cmd: 7, amountMinor: 1n }))
        .outcome,
    ).toBe('ORDER_MISMATCH');
    expect((await apply(sql, { login: owner.login, amountMinor: 1n, openTime: 200, closeTime: 100 })).outcome).toBe(
      'CLOSE_BEFORE_OPEN',
    );
    expect(await postingsOf(sql, created.order_no!)).toHaveLength(2);
  });

  it("answers a replay with the first application's event, and records a key reused with other content", async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 0n);
    const first = await apply(sql, { login, amountMinor: 70n, key: 'ref-1', digest: 'a' });
    await apply(sql, { login, targetOrder: Number(first.order_no), amountMinor: 90n });
    expect(await apply(sql, { login, amountMinor: 70n, key: 'ref-1', digest: 'a' })).toMatchObject({
      outcome: 'REPLAY',
      order_no: first.order_no,
      event_id: first.event_id,
    });
    expect((await apply(sql, { login, amountMinor: 71n, key: 'ref-1', digest: 'b' })).outcome).toBe(
      'IDEMPOTENCY_MISMATCH',
    );
    const { rows } = await sql.query(`SELECT source FROM refused_duplicates WHERE idempotency_key = 'ref-1'`);
    expect(rows).toEqual([{ source: 'manager' }]);
  });

  it('refuses a withdrawal beyond its bucket, never taking credit or held funds', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 100n);
    await apply(sql, { login, cmd: 7, operation: 'credit_in', bucket: 'credit', book: 'bonus', amountMinor: 1000n });
    expect(await apply(sql, { login, cmd: 8, operation: 'balance_out', amountMinor: -101n })).toMatchObject({
      outcome: 'INSUFFICIENT_FUNDS',
      bucket_minor: '100',
    });
  });
});

describe('balance_operation_delete', () => {
  it('reverses a record once, on its own books, and refuses when the bucket cannot give it back', async () => {
    const sql = db.sql();
    const { login } = await fundedAccount(sql, 0n);
    const created = await apply(sql, { login, amountMinor: 80n });
    const spent = await apply(sql, { login, cmd: 8, operation: 'balance_out', amountMinor: -50n });
    const remove = (order: string) =>
      sql
        .query(`SELECT * FROM balance_operation_delete($1, $2, 'manager', 'test', $3::uuid)`, [
          login,
          order,
          randomUUID(),
        ])
        .then((r) => r.rows[0] as Outcome);
    expect((await remove(created.order_no!)).outcome).toBe('INSUFFICIENT_FUNDS');
    const deleted = await remove(spent.order_no!);
    expect(deleted).toMatchObject({ outcome: 'OK', event_type: 'EV_RECORD_DELETE', bucket_minor: '80' });
    expect(await remove(spent.order_no!)).toMatchObject({ outcome: 'REPLAY', event_id: deleted.event_id });
    expect(await postingsOf(sql, spent.order_no!)).toEqual([
      'balance_out balance -50',
      'balance_out cash 50',
      'balance_out balance 50',
      'balance_out cash -50',
    ]);
    expect((await apply(sql, { login, targetOrder: Number(spent.order_no), cmd: 8, amountMinor: -1n })).outcome).toBe(
      'RECORD_DELETED',
    );
  });
});

describe('balance_operation_apply_batch', () => {
  type BatchRequest = {
    login: number;
    amountMinor: bigint;
    key?: string;
    digest?: string;
    bucket?: 'balance' | 'credit';
    targetOrder?: string;
  };
  const batch = async (sql: pg.Pool | pg.PoolClient, requests: BatchRequest[]): Promise<Outcome[]> => {
    const json = requests.map((request) => ({
      login: String(request.login),
      newOrderNo: null,
      targetOrderNo: request.targetOrder ?? null,
      cmd: 6,
      operation: 'balance_in',
      bucket: request.bucket ?? 'balance',
      systemBook: 'cash',
      amountMinor: request.amountMinor.toString(),
      comment: null,
      defaultComment: 'Finance',
      openTime: null,
      closeTime: null,
      source: 'manager',
      actor: 'test',
      idempotencyKey: request.key ?? null,
      requestDigest: Buffer.from(request.digest ?? 'd').toString('hex'),
      commandId: null,
    }));
    return (await sql.query(`SELECT * FROM balance_operation_apply_batch($1::jsonb)`, [JSON.stringify(json)])).rows;
  };

  it('applies each request in order, in one transaction, each with its own outcome', async () => {
    const sql = db.sql();
    const first = await fundedAccount(sql, 0n);
    const second = await fundedAccount(sql, 100n);
    const key = `batch-${randomUUID()}`;
    const results = await batch(sql, [
      { login: first.login, amountMinor: 100n },
      { login: second.login, amountMinor: -150n },
      { login: first.login, amountMinor: 50n, key },
      { login: first.login, amountMinor: 50n, key },
      { login: first.login, amountMinor: 70n, key, digest: 'other content' },
      { login: 999_999_999, amountMinor: 1n },
    ]);
    expect(results.map((result) => [result.outcome, result.bucket_minor])).toEqual([
      ['OK', '100'],
      ['INSUFFICIENT_FUNDS', '100'],
      ['OK', '150'],
      ['REPLAY', null],
      ['IDEMPOTENCY_MISMATCH', null],
      ['ACCOUNT_NOT_FOUND', null],
    ]);
    expect(results[3]!.order_no).toBe(results[2]!.order_no);
    const { rows } = await sql.query(
      `SELECT login::int, balance_minor::text FROM accounts WHERE login = ANY ($1) ORDER BY login`,
      [[first.login, second.login]],
    );
    expect(rows).toEqual([
      { login: first.login, balance_minor: '150' },
      { login: second.login, balance_minor: '100' },
    ]);
  });

  it('answers ACCOUNT_BUSY, nothing done and without waiting, for an account someone else holds', async () => {
    const sql = db.sql();
    const held = await fundedAccount(sql, 0n);
    const free = await fundedAccount(sql, 0n);
    const holder = await sql.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [held.login]);
      const results = await batch(sql, [
        { login: held.login, amountMinor: 10n },
        { login: free.login, amountMinor: 20n },
      ]);
      expect(results.map((result) => result.outcome)).toEqual(['ACCOUNT_BUSY', 'OK']);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const { rows } = await sql.query(
      `SELECT login::int, balance_minor::text FROM accounts WHERE login = ANY ($1) ORDER BY login`,
      [[held.login, free.login]],
    );
    expect(rows).toEqual([
      { login: held.login, balance_minor: '0' },
      { login: free.login, balance_minor: '20' },
    ]);
  });

  it('answers ACCOUNT_BUSY, without waiting, for a record someone else is updating or a key another transaction is deciding', async () => {
    const sql = db.sql();
    const owner = await fundedAccount(sql, 0n);
    const other = await fundedAccount(sql, 0n);
    const free = await fundedAccount(sql, 0n);
    const spare = await fundedAccount(sql, 0n);
    const [record] = await batch(sql, [{ login: owner.login, amountMinor: 10n }]);
    const holder = await sql.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM finance_records WHERE order_no = $1 FOR UPDATE', [record!.order_no]);
      await holder.query(`SELECT * FROM balance_operation_apply_batch($1::jsonb)`, [
        JSON.stringify([
          {
            login: String(other.login),
            cmd: 6,
            operation: 'balance_in',
            bucket: 'balance',
            systemBook: 'cash',
            amountMinor: '5',
            defaultComment: 'x',
            source: 'manager',
            actor: 'test',
            idempotencyKey: 'being-decided',
            requestDigest: '00',
          },
        ]),
      ]);
      const results = await batch(sql, [
        { login: owner.login, amountMinor: 30n, targetOrder: record!.order_no! },
        { login: free.login, amountMinor: 7n, key: 'being-decided' },
        // behind a busy request of its account: busy too, so that it cannot overtake it
        { login: free.login, amountMinor: 20n },
        { login: spare.login, amountMinor: 4n },
      ]);
      expect(results.map((result) => result.outcome)).toEqual(['ACCOUNT_BUSY', 'ACCOUNT_BUSY', 'ACCOUNT_BUSY', 'OK']);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const { rows } = await sql.query(
      `SELECT login::int, balance_minor::text FROM accounts WHERE login = ANY ($1) ORDER BY login`,
      [[owner.login, other.login, free.login, spare.login]],
    );
    expect(rows).toEqual([
      { login: owner.login, balance_minor: '10' },
      { login: other.login, balance_minor: '0' },
      { login: free.login, balance_minor: '0' },
      { login: spare.login, balance_minor: '4' },
    ]);
  });
});
