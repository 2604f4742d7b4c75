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
  const cycles = Math.ceil(options.entries / ENTRIES_PER_CYCLE);
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
  await step('accounts', `INSERT INTO accounts (login, currency, name) SELECT ? + i, 'USD', 'generated ' || i FROM generate_series(0, ? - 1) i`, [
    options.firstLogin,
    options.accounts,
  ]);
  // One row per cycle: account, cycle number within the account, and the amounts (cents).
  await step(
    'cycles',
    `CREATE TEMP TABLE cycles AS
       SELECT c AS cycle, ? + (c % ?) AS login, c / ? AS round,
              10000 + (hashint4(c) & 1023) AS deposit, 1000 + (hashint4(c + 7) & 4095) AS stake,
              CASE WHEN hashint4(c + 13) & 1 = 0 THEN 0 ELSE 2 * (1000 + (hashint4(c + 7) & 4095)) END AS payout,
              nextval('order_numbers') AS order_no
         FROM generate_series(0, ? - 1) c`,
    [options.firstLogin, options.accounts, options.accounts, cycles],
  );
  await step('trades', `INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor, stake_from_credit_minor,
                          payout_minor, open_balance_minor, close_balance_minor, opened_at, closed_at)
                        SELECT 'generated', 'g-' || login || '-' || round, order_no, login, 'USD', 'closed', stake, 0, payout, 0, 0, now(), now() FROM cycles`);
  // Entries: three per cycle, versions counted per account, running balances by window sums.
  await step(
    'journal entries',
    `CREATE TEMP TABLE generated_entries AS
       WITH moves AS (
         SELECT c.*, k.kind,
                CASE k.kind WHEN 0 THEN c.deposit WHEN 1 THEN -c.stake ELSE c.payout END AS balance_delta,
                CASE k.kind WHEN 0 THEN 0 WHEN 1 THEN c.stake ELSE -c.stake END AS held_delta
           FROM cycles c CROSS JOIN (VALUES (0), (1), (2)) AS k (kind))
       SELECT nextval(pg_get_serial_sequence('journal_entries', 'id')) AS id, login, order_no, kind, balance_delta, held_delta,
              row_number() OVER w AS version,
              sum(balance_delta) OVER w AS balance_after, sum(held_delta) OVER w AS held_after
         FROM moves WINDOW w AS (PARTITION BY login ORDER BY round, kind)`,
  );
  await step(
    'insert entries',
    `INSERT INTO journal_entries (id, order_no, login, account_version, currency, operation, balance_delta_minor, credit_delta_minor,
       held_delta_minor, balance_after_minor, credit_after_minor, held_after_minor, actor_kind, actor, created_at)
     OVERRIDING SYSTEM VALUE
     SELECT id, order_no, login, version, 'USD', (ARRAY['add', 'trade_open', 'trade_close'])[kind + 1], balance_delta, 0, held_delta,
            balance_after, 0, held_after, 'system', 'generate-ledger', now()
       FROM generated_entries`,
  );
  await step(
    'postings',
    `INSERT INTO postings (entry_id, book, amount_minor)
     SELECT id, book, amount FROM generated_entries g
      CROSS JOIN LATERAL (VALUES ('balance', g.balance_delta), ('held', g.held_delta),
                                 (CASE g.kind WHEN 0 THEN 'cash' ELSE 'house' END, -(g.balance_delta + g.held_delta))) AS p (book, amount)
      WHERE amount <> 0`,
  );
  await step(
    'account buckets',
    `UPDATE accounts a SET balance_minor = s.balance, held_minor = s.held, version = s.version
       FROM (SELECT login, sum(balance_delta) AS balance, sum(held_delta) AS held, count(*) AS version FROM generated_entries GROUP BY login) s
      WHERE a.login = s.login`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
