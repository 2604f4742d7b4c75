import type { Knex } from 'knex';

/**
 * Answers that belong to their command, and the contract faults of issue 10:
 * - events keep what happened in typed columns (the manager transport formats ScaleTrade's
 *   trade:event JSON when it broadcasts), with the id of the command whose transaction wrote them,
 *   so that a Sync command is answered by its own event and never by another command's;
 * - a once-only key remembers the event of its first application (a replay answers that outcome);
 * - a finance record keeps its system book (an update or a deletion posts to the record's own book)
 *   and the event of its deletion (DeleteBalance, state 6);
 * - an account's funds are bounded so that every settlement of an accepted stake fits: balance +
 *   credit + 10,000 x held fits in 64 bits (a closetrade paying up to 10,000 x its stake never
 *   raises that sum, so it can always be applied).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE events
      ADD COLUMN command_id   uuid,
      ADD COLUMN entry_id     bigint,
      ADD COLUMN cmd          smallint,
      ADD COLUMN state        smallint,
      ADD COLUMN currency     text,
      ADD COLUMN profit_minor bigint,
      ADD COLUMN stake_minor  bigint,
      ADD COLUMN payout_minor bigint,
      ADD COLUMN comment      text,
      ADD COLUMN open_time    bigint,
      ADD COLUMN close_time   bigint,
      ADD COLUMN trade_type   text,
      ADD COLUMN trade_id     text;

    -- Events written before this migration carry their data as JSON: read it into the columns.
    UPDATE events e
       SET cmd = (e.payload->>'cmd')::smallint,
           state = (e.payload->>'state')::smallint,
           currency = a.currency,
           profit_minor = round((e.payload->>'profit')::numeric * 10::numeric ^ c.scale)::bigint,
           stake_minor = round((e.payload->>'stake')::numeric * 10::numeric ^ c.scale)::bigint,
           payout_minor = round((e.payload->>'payout')::numeric * 10::numeric ^ c.scale)::bigint,
           comment = e.payload->>'comment',
           open_time = (e.payload->>'open_time')::bigint,
           close_time = (e.payload->>'close_time')::bigint,
           trade_type = e.payload->>'externalTradeType',
           trade_id = e.payload->>'externalTradeId'
      FROM accounts a JOIN currencies c ON c.code = a.currency
     WHERE a.login = e.login;
    ALTER TABLE events
      DROP COLUMN payload,
      ALTER COLUMN order_no SET NOT NULL,
      ALTER COLUMN cmd SET NOT NULL,
      ALTER COLUMN state SET NOT NULL,
      ALTER COLUMN currency SET NOT NULL,
      ALTER COLUMN profit_minor SET NOT NULL,
      ALTER COLUMN open_time SET NOT NULL,
      ALTER COLUMN close_time SET NOT NULL,
      ADD CONSTRAINT events_type_known CHECK (type IN ('EV_RECORD_ADD', 'EV_RECORD_UPDATE', 'EV_RECORD_DELETE'));

    ALTER TABLE idempotency_keys ADD COLUMN event_id bigint;
    UPDATE idempotency_keys k
       SET event_id = (SELECT min(e.id) FROM events e
                        WHERE e.order_no = k.order_no AND e.type = k.event_type AND e.created_at >= k.created_at);

    ALTER TABLE finance_records
      ADD COLUMN system_book text,
      ADD COLUMN delete_event_id bigint;
    UPDATE finance_records SET system_book = CASE operation
      WHEN 'balance_in' THEN 'cash' WHEN 'balance_out' THEN 'cash' WHEN 'add' THEN 'cash' WHEN 'sub' THEN 'cash'
      WHEN 'credit_in' THEN 'bonus' WHEN 'credit_out' THEN 'bonus' WHEN 'credit' THEN 'bonus'
      ELSE operation END;
    ALTER TABLE finance_records
      ALTER COLUMN system_book SET NOT NULL,
      ADD CONSTRAINT finance_records_state_known CHECK (state IN (3, 6)),
      ADD CONSTRAINT finance_records_deleted_has_event CHECK ((state = 6) = (delete_event_id IS NOT NULL));

    ALTER TABLE accounts ADD CONSTRAINT accounts_settlement_fits
      CHECK (balance_minor::numeric + credit_minor + held_minor::numeric * 10000 <= 9223372036854775807);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts DROP CONSTRAINT accounts_settlement_fits;
    ALTER TABLE finance_records
      DROP CONSTRAINT finance_records_deleted_has_event,
      DROP CONSTRAINT finance_records_state_known,
      DROP COLUMN delete_event_id,
      DROP COLUMN system_book;
    ALTER TABLE idempotency_keys DROP COLUMN event_id;
    ALTER TABLE events ADD COLUMN payload jsonb;
    UPDATE events e SET payload = jsonb_strip_nulls(jsonb_build_object(
      'order', e.order_no, 'login', e.login, 'cmd', e.cmd, 'state', e.state, 'comment', e.comment,
      'profit', round(e.profit_minor::numeric / 10::numeric ^ c.scale, c.scale),
      'stake', round(e.stake_minor::numeric / 10::numeric ^ c.scale, c.scale),
      'payout', round(e.payout_minor::numeric / 10::numeric ^ c.scale, c.scale),
      'open_time', e.open_time, 'close_time', e.close_time,
      'externalTradeType', e.trade_type, 'externalTradeId', e.trade_id))
      FROM currencies c WHERE c.code = e.currency;
    ALTER TABLE events
      ALTER COLUMN payload SET NOT NULL,
      ALTER COLUMN order_no DROP NOT NULL,
      DROP CONSTRAINT events_type_known,
      DROP COLUMN command_id, DROP COLUMN entry_id, DROP COLUMN cmd, DROP COLUMN state, DROP COLUMN currency,
      DROP COLUMN profit_minor, DROP COLUMN stake_minor, DROP COLUMN payout_minor, DROP COLUMN comment,
      DROP COLUMN open_time, DROP COLUMN close_time, DROP COLUMN trade_type, DROP COLUMN trade_id;
  `);
}
