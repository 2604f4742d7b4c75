/**
 * Fills a database with a large, consistent ledger for reconciliation and growth measurements:
 *   npx tsx scripts/generate-ledger.ts --entries 1000000 --accounts 10000
 * Each account repeats a cycle of three entries: a deposit (add), a trade opened (balance to held)
 * and the trade closed (held back, with a win or a loss against the house), with their postings and
 * trade rows, so that every invariant holds. Rows are generated inside PostgreSQL (one statement per
 * table) rather than through ledger_post, which would take hours for millions of entries.
 * Uses DATABASE_URL, or the embedded PostgreSQL under DATA_DIR.
 */
import { Command } from 'commander';
import type { Knex } from 'knex';
import { createDatabase } from '../src/db/database';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { migrateToLatest } from '../src/db/migrator';

const ENTRIES_PER_CYCLE = 3;

const FIRST_LOGIN_DEFAULT = 5_000_000;

const options = new Command('generate-ledger')
  .option('--entries <n>', 'journal entries to add', (value) => Number.parseInt(value, 10), 1_000_000)
  .option('--accounts <n>', 'accounts to spread them over', (value) => Number.parseInt(value, 10), 10_000)
  .option('--first-login <n>', 'first login of the generated accounts', (value) => Number.parseInt(value, 10), FIRST_LOGIN_DEFAULT)
  .parse()
  .opts<{ entries: number; accounts: number; firstLogin: number }>();

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: process.env.DATA_DIR ?? './.data', database: 'wallet' });
  const db = createDatabase(process.env.DATABASE_URL ?? embedded!.url, { poolMax: 2, applicationName: 'generate-ledger', statementTimeoutMs: 0 });
  // Whole rounds: every account gets the same number of cycles.
  const cycles = Math.ceil(options.entries / ENTRIES_PER_CYCLE / options.accounts) * options.accounts;
  const started = Date.now();
  try {
    await migrateToLatest(db);
    // One transaction: one connection for the temporary tables, and all or nothing.
    await db.transaction((trx) => generate(trx, cycles));
    console.log(`generated ${cycles * ENTRIES_PER_CYCLE} entries over ${options.accounts} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

async function generate(trx: Knex.Transaction, cycles: number): Promise<void> {
  const step = async (label: string, sql: string, values: unknown[] = []) => {
    const t0 = Date.now();
    await trx.raw(sql, values as never[]);
    console.log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  const rounds = Math.ceil(cycles / options.accounts);
  // Skips the foreign-key triggers during the bulk load (the rows are generated consistent). Needs a
  // superuser, which the embedded database has; elsewhere the load is slower but the same.
  await trx.raw('SAVEPOINT replica_role');
  await trx.raw(`SET LOCAL session_replication_role = replica`).then(
    () => trx.raw('RELEASE SAVEPOINT replica_role'),
    () => trx.raw('ROLLBACK TO SAVEPOINT replica_role'),
  );
  await step('accounts', `INSERT INTO accounts (login, currency, name) SELECT ? + i, 'USD', 'generated ' || i FROM generate_series(0, ? - 1) i`, [
    options.firstLogin,
    options.accounts,
  ]);
  // Amounts depend on the round only, so every account's running balance is a small per-round sum:
  // no window over millions of rows. balance_before = the balance at the start of the round.
  await step(
    'rounds',
    `CREATE TEMP TABLE rounds AS
       SELECT r AS round, deposit, stake, payout, coalesce(sum(deposit - stake + payout) OVER (ORDER BY r ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS balance_before
         FROM generate_series(0, ? - 1) r
        CROSS JOIN LATERAL (SELECT 10000 + (hashint4(r) & 1023) AS deposit, 1000 + (hashint4(r + 7) & 4095) AS stake) a
        CROSS JOIN LATERAL (SELECT CASE WHEN hashint4(r + 13) & 1 = 0 THEN 0 ELSE 2 * a.stake END AS payout) b`,
    [rounds],
  );
  await step('order numbers', `SELECT setval('order_numbers', nextval('order_numbers') + ?::bigint * ?::bigint)`, [rounds, options.accounts]);
  await step(
    'trades',
    `INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor, stake_from_credit_minor,
                         payout_minor, open_balance_minor, close_balance_minor, opened_at, closed_at)
     SELECT 'generated', 'g-' || a.login || '-' || r.round, currval('order_numbers') - (r.round * ?::bigint + (a.login - ?::bigint)), a.login, 'USD',
            'closed', r.stake, 0, r.payout, 0, 0, now(), now()
       FROM rounds r CROSS JOIN generate_series(?::bigint, ?::bigint + ?::bigint - 1) AS a (login)`,
    [options.accounts, options.firstLogin, options.firstLogin, options.firstLogin, options.accounts],
  );
  await step('first entry id', `CREATE TEMP TABLE first_entry AS SELECT coalesce(max(id), 0) + 1 AS id FROM journal_entries`);
  await step(
    'journal entries',
    `INSERT INTO journal_entries (id, order_no, login, account_version, currency, operation, balance_delta_minor, credit_delta_minor,
       held_delta_minor, balance_after_minor, credit_after_minor, held_after_minor, actor_kind, actor, created_at)
     OVERRIDING SYSTEM VALUE
     SELECT f.id + (r.round * ?::bigint + (a.login - ?::bigint)) * 3 + k.kind, currval('order_numbers') - (r.round * ?::bigint + (a.login - ?::bigint)), a.login,
            r.round * 3 + k.kind + 1, 'USD', (ARRAY['add', 'trade_open', 'trade_close'])[k.kind + 1],
            CASE k.kind WHEN 0 THEN r.deposit WHEN 1 THEN -r.stake ELSE r.payout END, 0,
            CASE k.kind WHEN 0 THEN 0 WHEN 1 THEN r.stake ELSE -r.stake END,
            r.balance_before + r.deposit - CASE WHEN k.kind >= 1 THEN r.stake ELSE 0 END + CASE WHEN k.kind = 2 THEN r.payout ELSE 0 END,
            0, CASE k.kind WHEN 1 THEN r.stake ELSE 0 END, 'system', 'generate-ledger', now()
       FROM first_entry f CROSS JOIN rounds r CROSS JOIN generate_series(?::bigint, ?::bigint + ?::bigint - 1) AS a (login) CROSS JOIN (VALUES (0), (1), (2)) AS k (kind)`,
    [options.accounts, options.firstLogin, options.accounts, options.firstLogin, options.firstLogin, options.firstLogin, options.accounts],
  );
  await step('identity', `SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), (SELECT max(id) FROM journal_entries))`);
  await step(
    'postings',
    `INSERT INTO postings (entry_id, book, amount_minor)
     SELECT e.id, p.book, p.amount FROM journal_entries e CROSS JOIN first_entry f
      CROSS JOIN LATERAL (VALUES ('balance', e.balance_delta_minor), ('held', e.held_delta_minor),
                                 (CASE e.operation WHEN 'add' THEN 'cash' ELSE 'house' END, -(e.balance_delta_minor + e.held_delta_minor))) AS p (book, amount)
      WHERE e.id >= f.id AND p.amount <> 0`,
  );
  await step(
    'account buckets',
    `UPDATE accounts a SET balance_minor = r.balance_before + r.deposit - r.stake + r.payout, held_minor = 0, version = (r.round + 1) * 3
       FROM (SELECT * FROM rounds ORDER BY round DESC LIMIT 1) r
      WHERE a.login BETWEEN ?::bigint AND ?::bigint + ?::bigint - 1`,
    [options.firstLogin, options.firstLogin, options.accounts],
  );
  await step('analyze', 'ANALYZE journal_entries, postings, trades, accounts');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
