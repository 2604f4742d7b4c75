import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashToken } from '../../src/shared/tokens';
import { INVARIANT_QUERIES } from '../../src/core/reconciliation/invariant-queries';
import { createTestDatabase } from './database';

/**
 * For tests of the core's SQL engines called directly: a fresh clone of the migrated template
 * database per test file, a pool on it, and the ledger invariants checked after every test (but
 * those a test of a lower layer cannot keep, named with the reason at the call).
 */
export function useCoreDatabase(options: { invariantsNotKept?: string[] } = {}): { sql: () => pg.Pool } {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    pool.on('error', () => undefined); // an idle connection ended by the server is replaced on next use
  });
  afterEach(async () => {
    const found: unknown[] = [];
    const checked = INVARIANT_QUERIES.filter((query) => !options.invariantsNotKept?.includes(query.check));
    for (const query of checked)
      found.push(...(await pool!.query(query.sql)).rows.map((row) => ({ check: query.check, row })));
    expect(found).toEqual([]);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });
  return { sql: () => pool! };
}

let nextLogin = 10_000;

/** An account funded through the balance-operations engine (so its ledger is whole), and a wallet token. */
export async function fundedAccount(
  sql: pg.Pool,
  balanceMinor: bigint,
  currency = 'USD',
): Promise<{ login: number; tokenHash: Buffer }> {
  const login = (nextLogin += 1);
  await sql.query(`INSERT INTO accounts (login, currency) VALUES ($1, $2)`, [login, currency]);
  if (balanceMinor > 0n) {
    const { rows } = await sql.query(
      `SELECT outcome FROM balance_operation_apply($1, nextval('order_numbers'), NULL, 6::smallint, 'add', 'balance', 'cash', $2,
                                                   'seed', NULL, NULL, NULL, 'admin', 'test', NULL, '\\x00', NULL)`,
      [login, balanceMinor.toString()],
    );
    expect(rows[0].outcome).toBe('OK');
  }
  const tokenHash = hashToken(randomBytes(16).toString('hex'));
  await sql.query(
    `INSERT INTO wallet_tokens (token_hash, login, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
    [tokenHash, login],
  );
  return { login, tokenHash };
}

export const newNonce = () => randomBytes(16).toString('hex');
