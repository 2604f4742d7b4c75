-- The ledger's one write primitive. Every money movement of every transport ends here.

-- Minor units as an exact NUMERIC with the currency's decimals (jsonb keeps them: 250.00).
CREATE OR REPLACE FUNCTION minor_to_decimal(p_minor bigint, p_scale integer) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT round(p_minor::numeric / (10::numeric ^ p_scale), p_scale)
$$;

-- Applies bucket deltas to one account and writes the journal entry, its postings and its event,
-- all in the caller's transaction. The caller must hold the account's row lock (SELECT ... FOR
-- UPDATE) and must have checked that no bucket goes negative; the CHECK constraints on accounts
-- are the last line of defence. The net change of the account's buckets is posted to
-- p_system_book, so that the entry's postings sum to zero.
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
  p_event_data jsonb,
  OUT entry_id bigint,
  OUT balance_after bigint,
  OUT credit_after bigint,
  OUT held_after bigint,
  OUT account_version bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_net bigint := p_balance_delta + p_credit_delta + p_held_delta;
BEGIN
  IF p_balance_delta = 0 AND p_credit_delta = 0 AND p_held_delta = 0 THEN
    RAISE EXCEPTION 'ledger_post: an entry must move money (order %)', p_order_no;
  END IF;
  IF v_net <> 0 AND p_system_book IS NULL THEN
    RAISE EXCEPTION 'ledger_post: net change % of order % needs a system book', v_net, p_order_no;
  END IF;
  IF p_system_book IN ('balance', 'credit', 'held') THEN
    RAISE EXCEPTION 'ledger_post: % is an account book, not a system book', p_system_book;
  END IF;

  -- One statement: the bucket update, the entry, its postings and its event (fewer round trips
  -- through the executor than four statements; measured on the wallet's hot path).
  WITH account AS (
    UPDATE accounts
       SET balance_minor = balance_minor + p_balance_delta,
           credit_minor = credit_minor + p_credit_delta,
           held_minor = held_minor + p_held_delta,
           version = version + 1,
           updated_at = now()
     WHERE login = p_login
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
    RETURNING id, account_version, balance_after_minor, credit_after_minor, held_after_minor),
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
    INSERT INTO events (channel, type, login, order_no, payload)
    SELECT 'trade:event', p_event_type, p_login, p_order_no, p_event_data
      FROM entry
     WHERE p_event_type IS NOT NULL)
  SELECT e.id, e.balance_after_minor, e.credit_after_minor, e.held_after_minor, e.account_version
    INTO entry_id, balance_after, credit_after, held_after, account_version
    FROM entry e;
  IF entry_id IS NULL THEN
    RAISE EXCEPTION 'ledger_post: account % does not exist', p_login;
  END IF;
END $$;
