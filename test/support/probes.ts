import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { HttpJsonResponse } from '@wallet-service/client';
import { signV2 } from '@wallet-service/client';
import type { TestApi } from './api';
import { TEST_ADMIN_KEY, TEST_OPERATOR_KEY, TEST_WALLET_SECRET } from './test-service';

/**
 * Helpers for tests that send raw (possibly broken) requests and check that nothing changed.
 */

/** Everything a refused request must leave untouched: every account's buckets and the row counts. */
export async function stateSnapshot(sql: pg.Pool): Promise<Record<string, unknown>> {
  const accounts = await sql.query(
    `SELECT login::text, currency, name, status, balance_minor::text, credit_minor::text, held_minor::text, version::text
       FROM accounts ORDER BY login`,
  );
  const counts = await sql.query(
    `SELECT (SELECT count(*) FROM journal_entries)::int AS journal_entries,
            (SELECT count(*) FROM postings)::int AS postings,
            (SELECT count(*) FROM finance_records)::int AS finance_records,
            (SELECT count(*) FROM idempotency_keys)::int AS idempotency_keys,
            (SELECT count(*) FROM trades)::int AS trades,
            (SELECT count(*) FROM launch_tokens)::int AS launch_tokens,
            (SELECT count(*) FROM wallet_tokens)::int AS wallet_tokens`,
  );
  return { accounts: accounts.rows, counts: counts.rows[0] };
}

export async function journalEntryCount(sql: pg.Pool): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM journal_entries`);
  return rows[0].n as number;
}

/** One account's buckets straight from the database, in minor units. */
export async function bucketsOf(
  sql: pg.Pool,
  login: number,
): Promise<{ balance: string; credit: string; held: string; version: string }> {
  const { rows } = await sql.query(
    `SELECT balance_minor::text AS balance, credit_minor::text AS credit, held_minor::text AS held, version::text AS version
       FROM accounts WHERE login = $1`,
    [login],
  );
  if (rows.length !== 1) throw new Error(`account ${login} not found`);
  return rows[0];
}

/** A raw admin request: any bytes as the body, the admin key unless told otherwise. */
export function rawAdmin(
  api: TestApi,
  method: string,
  path: string,
  body: string | Buffer | null,
  key: string | null = TEST_ADMIN_KEY,
): Promise<HttpJsonResponse> {
  return api.http.request(method, path, body, key === null ? {} : { Authorization: `Bearer ${key}` });
}

export function rawOperator(
  api: TestApi,
  path: string,
  body: string | Buffer | null,
  key: string | null = TEST_OPERATOR_KEY,
): Promise<HttpJsonResponse> {
  return api.http.request('POST', path, body, key === null ? {} : { Authorization: `Bearer ${key}` });
}

/** A wallet request whose raw body bytes are correctly v2-signed, so that it reaches validation. */
export function signedWallet(
  api: TestApi,
  path: string,
  body: string | Buffer,
  secret = TEST_WALLET_SECRET,
): Promise<HttpJsonResponse> {
  const headers = signV2(secret, 'POST', path, body, Math.floor(Date.now() / 1000), randomBytes(16).toString('hex'));
  return api.http.request('POST', path, body, headers);
}

/** `{"field": [[[ ... ]]]}`-style nesting of the given depth. */
export function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

export function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** JSON object text with its top-level fields in order; values given as raw JSON text. */
export function rawObject(fields: Record<string, string>): string {
  return `{${Object.entries(fields)
    .map(([name, value]) => `${JSON.stringify(name)}:${value}`)
    .join(',')}}`;
}

/**
 * Holds an account's row lock from a connection of its own, as a slow transaction or an operator's
 * psql would; returns the function that rolls it back.
 */
export async function holdAccountLock(sql: pg.Pool, login: number): Promise<() => Promise<void>> {
  const blocker = await sql.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE login = $1 FOR UPDATE', [login]);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await blocker.query('ROLLBACK');
    blocker.release();
  };
}

/** The journal entries written with one idempotency key (a referenceId, or a trade key). */
export async function entriesWithKey(sql: pg.Pool, key: string): Promise<number> {
  const { rows } = await sql.query(
    `SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = $1 OR actor = $1`,
    [key],
  );
  return rows[0].n as number;
}
