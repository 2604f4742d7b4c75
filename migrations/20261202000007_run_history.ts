import type { Knex } from 'knex';

/**
 * A history of reconciliation and matching runs (issue 14): every run, dry or applied, is kept with
 * who ran it, its period and options, and its answer as it was given (`result`, kept as json, not
 * jsonb, so that it reads back with its keys in their order), so that it can be reopened. A match
 * run keeps every item, in order, with the file lines behind it and, for one-to-many and many-to-one
 * matches, the parts of each side; an item may now be `partially_missing` (a group some of whose
 * ledger records are missing). Runs saved before this migration were applied matches: they keep
 * their summary, have no result, and their actor is `unrecorded`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE reconciliation_runs
      ADD COLUMN actor       text NOT NULL DEFAULT 'unrecorded',
      ADD COLUMN dry_run     boolean,
      ADD COLUMN period_from timestamptz,
      ADD COLUMN period_to   timestamptz,
      ADD COLUMN options     jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN result      json;
    UPDATE reconciliation_runs
       SET dry_run = false,
           period_from = (summary -> 'period' ->> 'from')::timestamptz,
           period_to = (summary -> 'period' ->> 'to')::timestamptz;
    ALTER TABLE reconciliation_runs
      ALTER COLUMN actor DROP DEFAULT,
      ALTER COLUMN options DROP DEFAULT,
      ALTER COLUMN period_from SET NOT NULL,
      ALTER COLUMN period_to SET NOT NULL,
      ADD CONSTRAINT reconciliation_runs_kind CHECK (kind IN ('reconciliation', 'match')),
      ADD CONSTRAINT reconciliation_runs_dry_run CHECK ((kind = 'match') = (dry_run IS NOT NULL));
    -- the history is read newest first, all kinds or one
    CREATE INDEX reconciliation_runs_kind_id ON reconciliation_runs (kind, id);

    ALTER TABLE reconciliation_matches
      DROP CONSTRAINT reconciliation_matches_outcome_check,
      ADD CONSTRAINT reconciliation_matches_outcome_check
        CHECK (outcome IN ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_file', 'partially_missing')),
      ADD COLUMN position   integer,
      ADD COLUMN match_kind text NOT NULL DEFAULT 'one-to-one' CHECK (match_kind IN ('one-to-one', 'one-to-many', 'many-to-one')),
      ADD COLUMN lines      integer[] NOT NULL DEFAULT '{}',
      ADD COLUMN parts      jsonb;
    ALTER TABLE reconciliation_matches ALTER COLUMN match_kind DROP DEFAULT, ALTER COLUMN lines DROP DEFAULT;
    -- items read back in the order they were found (older runs' items have no position)
    CREATE UNIQUE INDEX reconciliation_matches_run_position ON reconciliation_matches (run_id, position);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX reconciliation_matches_run_position;
    DELETE FROM reconciliation_matches WHERE outcome = 'partially_missing';
    ALTER TABLE reconciliation_matches
      DROP COLUMN position, DROP COLUMN match_kind, DROP COLUMN lines, DROP COLUMN parts,
      DROP CONSTRAINT reconciliation_matches_outcome_check,
      ADD CONSTRAINT reconciliation_matches_outcome_check CHECK (outcome IN ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_file'));
    DROP INDEX reconciliation_runs_kind_id;
    DELETE FROM reconciliation_matches WHERE run_id IN (SELECT id FROM reconciliation_runs WHERE kind <> 'match' OR dry_run);
    DELETE FROM reconciliation_runs WHERE kind <> 'match' OR dry_run;
    ALTER TABLE reconciliation_runs
      DROP CONSTRAINT reconciliation_runs_kind, DROP CONSTRAINT reconciliation_runs_dry_run,
      DROP COLUMN actor, DROP COLUMN dry_run, DROP COLUMN period_from, DROP COLUMN period_to, DROP COLUMN options, DROP COLUMN result;
  `);
}
