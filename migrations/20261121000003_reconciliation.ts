import type { Knex } from 'knex';

/**
 * Reconciliation: Sync commands that timed out (exceptions for the finance team to review) and
 * the results of applied (non-dry-run) matches of external records.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sync_timeouts (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_no      bigint NOT NULL,
      command       text NOT NULL,
      ext_id        text NOT NULL,
      manager_login bigint,
      timed_out_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sync_timeouts_timed_out_at ON sync_timeouts (timed_out_at);

    CREATE TABLE reconciliation_runs (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind       text NOT NULL,
      summary    jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE reconciliation_matches (
      run_id         bigint NOT NULL REFERENCES reconciliation_runs (id),
      outcome        text NOT NULL CHECK (outcome IN ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_file')),
      reference      text NOT NULL,
      external_minor bigint,
      ledger_minor   bigint,
      currency       text,
      detail         jsonb
    );
    CREATE INDEX reconciliation_matches_run ON reconciliation_matches (run_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE reconciliation_matches, reconciliation_runs, sync_timeouts;
  `);
}
