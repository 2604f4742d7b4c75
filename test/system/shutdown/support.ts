import type pg from 'pg';

/**
 * Helpers of the shutdown suites: hold accounts' row locks so that requests stay in flight, and
 * read what the ledger holds once the service is gone.
 */

/** Locks these accounts' rows from a connection of the test; `release()` rolls back. */
export async function holdAccountLocks(sql: pg.Pool, logins: number[]): Promise<{ release: () => Promise<void> }> {
  const client = await sql.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM accounts WHERE login = ANY($1::bigint[]) ORDER BY login FOR UPDATE', [logins]);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.query('ROLLBACK');
      client.release();
    },
  };
}

/** Statements of the service waiting for a row lock (what "in flight" looks like from PostgreSQL). */
export async function lockWaiters(sql: pg.Pool): Promise<number> {
  const { rows } = await sql.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'wallet-service'`,
  );
  return rows[0].n;
}

/** Rows of `trades` per external trade id (0 or 1: a key is applied at most once). */
export async function tradesById(
  sql: pg.Pool,
  tradeType: string,
): Promise<Map<string, { login: string; state: string; stake: string }>> {
  const { rows } = await sql.query(
    `SELECT trade_id, login::text, state, stake_minor::text AS stake FROM trades WHERE trade_type = $1`,
    [tradeType],
  );
  return new Map(
    rows.map((row) => [
      row.trade_id as string,
      { login: row.login as string, state: row.state as string, stake: row.stake as string },
    ]),
  );
}

/** Journal entries of wallet trades per trade key (`type:id`, the entry's actor): exactly once for an acknowledged opentrade. */
export async function tradeEntriesByKey(sql: pg.Pool, tradeType: string): Promise<Map<string, number>> {
  const { rows } = await sql.query(
    `SELECT actor, count(*)::int AS n FROM journal_entries WHERE actor_kind = 'wallet' AND actor LIKE $1 || ':%' GROUP BY actor`,
    [tradeType],
  );
  return new Map(rows.map((row) => [row.actor as string, row.n as number]));
}

/** A promise's outcome without throwing: what a client saw. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: (error as Error & { code?: string }).code ?? (error as Error).message };
  }
}
