import type { Knex } from 'knex';

/**
 * Every order number the service names resolves for ever (docs/manager-api.md#looking-up-an-order,
 * issue 22 item 5). A Sync command's SYNC_TIMEOUT names the order it will take; until now, when
 * that command was then refused (its account's lock did not come, the bucket did not cover it),
 * nothing kept the refusal, so the order was unknown for ever, and a retry with the same
 * referenceId took another order.
 *
 * - `sync_timeouts` also keeps what the command was: its account and cmd (a named order whose
 *   command has not ended yet answers as pending), and its once-only key with the digest of its
 *   content. The row is written before the 504 is answered, so a retry sent after the 504 finds the
 *   order and takes it (balance_operation_apply, and the naming of a Sync command's order).
 * - `order_resolutions` keeps, per named order that no record took, what became of its command:
 *   its refusal (the finance core's error code and message), or the other order it was applied as
 *   (its referenceId had been applied under that order meanwhile). A record under the order wins
 *   over it; a later refusal of a retry under the same order replaces it.
 *
 * The new columns of `sync_timeouts` are nullable: rows written before keep their four columns, and
 * the additions need no rewrite of the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE sync_timeouts
      ADD COLUMN login          bigint,
      ADD COLUMN cmd            smallint,
      ADD COLUMN scope          text,
      ADD COLUMN reference_id   text,
      ADD COLUMN request_digest bytea;
    CREATE INDEX sync_timeouts_order_no ON sync_timeouts (order_no);
    CREATE INDEX sync_timeouts_reference ON sync_timeouts (scope, reference_id) WHERE reference_id IS NOT NULL;

    CREATE TABLE order_resolutions (
      order_no         bigint PRIMARY KEY,
      login            bigint NOT NULL,
      cmd              smallint NOT NULL,
      error_code       text,
      message          text,
      applied_order_no bigint,
      resolved_at      timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT order_resolutions_one_outcome CHECK ((error_code IS NULL) <> (applied_order_no IS NULL)),
      CONSTRAINT order_resolutions_refusal_message CHECK (error_code IS NULL OR message IS NOT NULL),
      CONSTRAINT order_resolutions_another_order CHECK (applied_order_no <> order_no)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE order_resolutions;
    DROP INDEX sync_timeouts_reference, sync_timeouts_order_no;
    ALTER TABLE sync_timeouts
      DROP COLUMN request_digest,
      DROP COLUMN reference_id,
      DROP COLUMN scope,
      DROP COLUMN cmd,
      DROP COLUMN login;
  `);
}
