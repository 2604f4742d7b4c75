import type { Knex } from 'knex';

/**
 * Fewer writes per wallet request (profiled with pg_stat_statements: index maintenance of trades and
 * journal_entries was a third of the engine's time). Dropped:
 * - trade indexes used only by reconciliation, which scans the table anyway; without the partial
 *   index on `state`, closing a trade becomes a HOT update;
 * - journal_entries(order_no), which no read path uses;
 * - wallet_nonces(seen_at): the minute-by-minute pruning scans the small table instead;
 * - foreign keys from journal_entries and trades to currencies: every writer took a shared lock on
 *   the one currency row (a MultiXact per concurrent transaction); the currency is copied from the
 *   account, which keeps its own foreign key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX trades_open_by_age;
    DROP INDEX trades_orphans;
    DROP INDEX trades_by_login;
    DROP INDEX journal_entries_order_no;
    DROP INDEX wallet_nonces_seen_at;
    ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_currency_fkey;
    ALTER TABLE trades DROP CONSTRAINT trades_currency_fkey;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE trades ADD CONSTRAINT trades_currency_fkey FOREIGN KEY (currency) REFERENCES currencies (code);
    ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_currency_fkey FOREIGN KEY (currency) REFERENCES currencies (code);
    CREATE INDEX wallet_nonces_seen_at ON wallet_nonces (seen_at);
    CREATE INDEX journal_entries_order_no ON journal_entries (order_no);
    CREATE INDEX trades_by_login ON trades (login);
    CREATE INDEX trades_orphans ON trades (closed_at) WHERE state = 'orphan_closed';
    CREATE INDEX trades_open_by_age ON trades (opened_at) WHERE state = 'open';
  `);
}
