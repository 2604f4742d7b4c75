import type { Knex } from 'knex';

/**
 * Fewer writes per money movement (issue 15; pg_stat_statements on the spread workload): the
 * foreign keys from postings to journal_entries, and from journal_entries and trades to accounts,
 * ran 2.3 + 1 + 0.5 referential-integrity checks per wallet request, each a trigger and a
 * `SELECT ... FOR KEY SHARE` of the parent row, and the lock of each new journal entry was one more
 * WAL record. Measured in one sitting, three interleaved runs each: PostgreSQL CPU per spread
 * request 0.38 / 0.32 / 0.39 ms → 0.32 / 0.30 / 0.31 ms, spread 2,041 / 2,460 / 2,121 →
 * 2,404 / 2,395 / 2,369 requests/s.
 *
 * What the keys guarded is kept by construction and checked after the fact: ledger_post (the one
 * writer of entries and postings) inserts an entry only from the account row it has just updated
 * under its lock, and the entry's postings in the same statement from that entry; wallet_open and
 * wallet_close insert trades for the locked account. Accounts are kept for ever, which the keys
 * used to imply and triggers now enforce: no DELETE or TRUNCATE of accounts, no change of a login
 * (a trigger on `UPDATE OF login` does not fire for the engines' updates of the buckets). The
 * invariant `references_resolve` (reconciliation, and every test workload) finds any row that
 * breaks it.
 *
 * The DDL takes short exclusive locks on the hot tables: it gives up after a few seconds rather
 * than queue every money movement behind a long read (run the migration again).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    SET LOCAL lock_timeout = '5s';
    ALTER TABLE postings DROP CONSTRAINT postings_entry_id_fkey;
    ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_login_fkey;
    ALTER TABLE trades DROP CONSTRAINT trades_login_fkey;

    CREATE FUNCTION forbid_account_removal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'accounts are kept for ever (their ledger names them): % of an account or of its login is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER accounts_kept BEFORE DELETE OR TRUNCATE ON accounts
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_account_removal();
    CREATE TRIGGER accounts_login_fixed BEFORE UPDATE OF login ON accounts
      FOR EACH ROW WHEN (OLD.login IS DISTINCT FROM NEW.login) EXECUTE FUNCTION forbid_account_removal();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    SET LOCAL lock_timeout = '5s';
    DROP TRIGGER accounts_login_fixed ON accounts;
    DROP TRIGGER accounts_kept ON accounts;
    DROP FUNCTION forbid_account_removal();
    ALTER TABLE postings ADD CONSTRAINT postings_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES journal_entries (id);
    ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_login_fkey FOREIGN KEY (login) REFERENCES accounts (login);
    ALTER TABLE trades ADD CONSTRAINT trades_login_fkey FOREIGN KEY (login) REFERENCES accounts (login);
  `);
}
