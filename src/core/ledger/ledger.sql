-- The ledger's write primitives, shared by both engines (wallet.sql, balance-operations.sql):
-- ledger_post (the bucket change, its journal entry and postings, and the transaction's event) and
-- refused_duplicate_append (a once-only key reused with other content). Every money movement of
-- every transport ends here.

DROP FUNCTION IF EXISTS ledger_post(bigint, bigint, text, bigint, bigint, bigint, text, text, text, text, text, text, jsonb);
DROP FUNCTION IF EXISTS ledger_post(bigint, bigint, text, bigint, bigint, bigint, text, text, text, text, text);
DROP FUNCTION IF EXISTS minor_to_decimal(bigint, integer);
DROP FUNCTION IF EXISTS event_append(text, bigint, bigint, uuid, bigint, smallint, smallint, text, bigint, text, bigint, bigint, bigint, bigint, text, text);

-- Records what one money transaction did to one account, in the caller's transaction: the bucket
-- deltas, the journal entry and its postings (when money moves), and the transaction's event
-- (always: a record whose comment alone changed still tells its subscribers). One statement, so one
-- pass through the executor (measured on the wallet's hot path: a separate event INSERT cost ~10%).
--
-- The caller must hold the account's row lock (SELECT ... FOR NO KEY UPDATE) and must have checked
-- that no bucket goes negative; the CHECK constraints on accounts are the last line of defence
-- (accounts_settlement_fits refuses funds beyond what a settlement can hold). The net change of the
-- account's buckets is posted to p_system_book, so that the entry's postings sum to zero.
--
-- The event is kept in typed columns (what happened; the manager transport formats ScaleTrade's
-- trade:event JSON). p_command_id names the command whose transaction wrote it: a Sync command waits
-- for exactly that event. Written under the account lock, so per account the id order is the commit
-- order.
CREATE OR REPLACE FUNCTION ledger_post(
  p_login bigint,
  p_order_no bigint,
  p_operation text,
  p_balance_delta bigint,
  p_credit_delta bigint,
  p_held_delta bigint,
  p_system_book text,
  p_actor_kind text,
  p_actor text,
  p_idempotency_key text,
  p_comment text,
  p_event_type text,
  p_command_id uuid,
  p_currency text,
  p_cmd smallint,
  p_state smallint,
  p_profit_minor bigint,
  p_open_time bigint,
  p_close_time bigint,
  p_stake_minor bigint,
  p_payout_minor bigint,
  p_trade_type text,
  p_trade_id text,
  OUT entry_id bigint,
  OUT event_id bigint,
  OUT balance_after bigint,
  OUT credit_after bigint,
  OUT held_after bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_net bigint := p_balance_delta + p_credit_delta + p_held_delta;
  v_moves boolean := p_balance_delta <> 0 OR p_credit_delta <> 0 OR p_held_delta <> 0;
BEGIN
  IF v_net <> 0 AND p_system_book IS NULL THEN
    RAISE EXCEPTION 'ledger_post: net change % of order % needs a system book', v_net, p_order_no;
  END IF;
  IF p_system_book IN ('balance', 'credit', 'held') THEN
    RAISE EXCEPTION 'ledger_post: % is an account book, not a system book', p_system_book;
  END IF;

  WITH account AS (
    UPDATE accounts
       SET balance_minor = balance_minor + p_balance_delta,
           credit_minor = credit_minor + p_credit_delta,
           held_minor = held_minor + p_held_delta,
           version = version + 1,
           updated_at = now()
     WHERE login = p_login AND v_moves
    RETURNING balance_minor, credit_minor, held_minor, version, currency),
  entry AS (
    INSERT INTO journal_entries (
      order_no, login, account_version, currency, operation,
      balance_delta_minor, credit_delta_minor, held_delta_minor,
      balance_after_minor, credit_after_minor, held_after_minor,
      actor_kind, actor, idempotency_key, comment, created_at)
    SELECT p_order_no, p_login, a.version, a.currency, p_operation,
           p_balance_delta, p_credit_delta, p_held_delta,
           a.balance_minor, a.credit_minor, a.held_minor,
           p_actor_kind, p_actor, p_idempotency_key, p_comment,
           -- the time under the account lock: per account, entries are in time order as in version order
           clock_timestamp()
      FROM account a
    RETURNING id, balance_after_minor, credit_after_minor, held_after_minor),
  posted AS (
    INSERT INTO postings (entry_id, book, amount_minor)
    SELECT e.id, book.name, book.amount
      FROM entry e,
           (VALUES ('balance', p_balance_delta),
                   ('credit', p_credit_delta),
                   ('held', p_held_delta),
                   (p_system_book, -v_net)) AS book (name, amount)
     WHERE book.amount <> 0),
  event AS (
    INSERT INTO events (channel, type, login, order_no, command_id, entry_id, cmd, state, currency, profit_minor,
                        comment, open_time, close_time, stake_minor, payout_minor, trade_type, trade_id)
    SELECT 'trade:event', p_event_type, p_login, p_order_no, p_command_id, e.id, p_cmd, p_state, p_currency,
           p_profit_minor, p_comment, p_open_time, p_close_time, p_stake_minor, p_payout_minor, p_trade_type, p_trade_id
      FROM (VALUES (1)) AS one (n) LEFT JOIN entry e ON true
    RETURNING id, entry_id)
  SELECT v.entry_id, v.id, e.balance_after_minor, e.credit_after_minor, e.held_after_minor
    INTO entry_id, event_id, balance_after, credit_after, held_after
    FROM event v LEFT JOIN entry e ON e.id = v.entry_id;
  IF v_moves AND entry_id IS NULL THEN
    RAISE EXCEPTION 'ledger_post: account % does not exist', p_login;
  END IF;
END $$;

-- A request refused because its once-only key (trade key, referenceId) was used with other content:
-- kept for the finance team's review (reconciliation lists them).
CREATE OR REPLACE FUNCTION refused_duplicate_append(
  p_source text, p_idempotency_key text, p_login bigint, p_detail jsonb
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO refused_duplicates (source, idempotency_key, login, detail)
  VALUES (p_source, p_idempotency_key, p_login, p_detail);
END $$;
