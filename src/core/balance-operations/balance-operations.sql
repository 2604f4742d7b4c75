-- Balance operations (finance records) of the admin API and the manager API: deposits,
-- withdrawals, bonus credit, adjustments, commissions, swaps. One record per order number; an
-- update of an existing record posts only the difference as a new journal entry, and a deletion
-- reverses the record with a new entry (the ledger itself never changes).
--
-- Outcomes are the finance core's codes (BALANCE_OPERATION_OUTCOMES in balance-operation-store.ts
-- declares the same list and checks every answer against it). Refusals are outcomes, not errors.

DROP FUNCTION IF EXISTS balance_operation_apply(bigint, bigint, bigint, smallint, text, text, text, bigint, text,
  bigint, bigint, text, text, text, text, bytea);
DROP FUNCTION IF EXISTS finance_record_event_data(bigint, integer);
DROP FUNCTION IF EXISTS account_lock(bigint);
DROP FUNCTION IF EXISTS balance_operation_apply(bigint, bigint, bigint, smallint, text, text, text, bigint, text, text,
  bigint, bigint, text, text, text, bytea, uuid);
DROP FUNCTION IF EXISTS balance_operation_delete(bigint, bigint, text, text, uuid);
-- the type below is made again: every function that returns it goes first (all are made again below)
DROP FUNCTION IF EXISTS balance_operation_apply_batch(jsonb);

-- What both engines answer: the outcome, the record's order, the event written (or, for a replay,
-- the first application's) and the bucket's value after the operation (before it, when refused).
DROP TYPE IF EXISTS balance_operation_result;
CREATE TYPE balance_operation_result AS (
  outcome text,
  order_no bigint,
  event_type text,
  event_id bigint,
  bucket_minor bigint
);

-- Locks the account (FOR NO KEY UPDATE: the login never changes, so foreign-key checks of other
-- transactions are not blocked) under the session's lock_timeout; NULL when it does not exist.
CREATE OR REPLACE FUNCTION account_lock(p_login bigint) RETURNS accounts
LANGUAGE plpgsql AS $$
DECLARE
  v_account accounts;
BEGIN
  SELECT a.* INTO v_account FROM accounts a WHERE a.login = p_login FOR NO KEY UPDATE;
  RETURN v_account;
END $$;

-- Creates a finance record, or updates the record named by p_target_order_no when it exists (same
-- login and cmd): an update posts the difference on the record's own operation and book, and keeps
-- the record's comment and open time unless new ones are given. p_new_order_no is the order number
-- reserved by the caller for a new record. p_amount_minor is the signed amount the record applies to
-- its bucket. p_command_id is written on the event (a Sync command waits for exactly that event).
-- A new record with a once-only key whose earlier command with the same content was answered
-- SYNC_TIMEOUT naming an order (sync_timeouts) takes that order: a retry resolves the order the
-- service named, whatever order the retry itself reserved.
CREATE FUNCTION balance_operation_apply(
  p_login bigint,
  p_new_order_no bigint,
  p_target_order_no bigint,
  p_cmd smallint,
  p_operation text,
  p_bucket text,
  p_system_book text,
  p_amount_minor bigint,
  p_comment text,
  p_default_comment text,
  p_open_time bigint,
  p_close_time bigint,
  p_source text,
  p_actor text,
  p_idempotency_key text,
  p_request_digest bytea,
  p_command_id uuid
) RETURNS balance_operation_result LANGUAGE plpgsql AS $$
DECLARE
  v_result balance_operation_result;
  v_account accounts := account_lock(p_login);
  v_record finance_records%ROWTYPE;
  v_key idempotency_keys%ROWTYPE;
  v_delta bigint;
  v_named_order_no bigint;
  v_now bigint := extract(epoch FROM now())::bigint;
BEGIN
  IF v_account.login IS NULL THEN
    v_result.outcome := 'ACCOUNT_NOT_FOUND';
    RETURN v_result;
  END IF;

  -- Once-only keys: checked under the account lock, so two requests with one key on one account
  -- are decided one after the other. A replay answers the outcome of the first application.
  IF p_idempotency_key IS NOT NULL THEN
    -- one transaction at a time per key (a batch tries it without waiting: balance_operation_apply_batch)
    PERFORM pg_advisory_xact_lock(idempotency_key_lock_id(p_source, p_idempotency_key));
    SELECT * INTO v_key FROM idempotency_keys k WHERE k.scope = p_source AND k.key = p_idempotency_key;
    IF FOUND THEN
      v_result := ROW(CASE WHEN v_key.request_digest = p_request_digest THEN 'REPLAY' ELSE 'IDEMPOTENCY_MISMATCH' END,
                      v_key.order_no, v_key.event_type, v_key.event_id, NULL);
      IF v_result.outcome = 'IDEMPOTENCY_MISMATCH' THEN
        PERFORM refused_duplicate_append(p_source, p_idempotency_key, p_login,
          jsonb_build_object('operation', p_operation, 'amount_minor', p_amount_minor,
                             'original_order_no', v_key.order_no));
      END IF;
      RETURN v_result;
    END IF;
  END IF;

  IF p_target_order_no IS NOT NULL THEN
    SELECT * INTO v_record FROM finance_records r WHERE r.order_no = p_target_order_no FOR UPDATE;
    IF FOUND AND (v_record.login <> p_login OR v_record.cmd <> p_cmd) THEN
      v_result.outcome := 'ORDER_MISMATCH';
      RETURN v_result;
    END IF;
    IF FOUND AND v_record.state = 6 THEN
      v_result := ROW('RECORD_DELETED', v_record.order_no, NULL, NULL, NULL);
      RETURN v_result;
    END IF;
  END IF;

  IF v_record.order_no IS NULL THEN
    -- decided under the key's advisory lock: the one command that takes a named order is the first
    -- to apply the key; every later one is a replay of it (only manager commands are answered 504)
    IF p_idempotency_key IS NOT NULL AND p_source = 'manager' THEN
      SELECT s.order_no INTO v_named_order_no FROM sync_timeouts s
       WHERE s.scope = p_source AND s.reference_id = p_idempotency_key AND s.request_digest = p_request_digest
         AND NOT EXISTS (SELECT 1 FROM finance_records f WHERE f.order_no = s.order_no)
       ORDER BY s.id LIMIT 1;
    END IF;
    v_result.event_type := 'EV_RECORD_ADD';
    v_delta := p_amount_minor;
    v_record := ROW(coalesce(v_named_order_no, p_new_order_no), p_login, p_cmd, p_operation, p_bucket, p_amount_minor, 3,
                    coalesce(p_comment, p_default_comment), coalesce(p_open_time, v_now), coalesce(p_close_time, v_now),
                    p_source, p_actor, p_idempotency_key, now(), now(), p_system_book, NULL);
  ELSE
    v_result.event_type := 'EV_RECORD_UPDATE';
    v_delta := p_amount_minor - v_record.amount_minor;
    v_record.amount_minor := p_amount_minor;
    v_record.comment := coalesce(p_comment, v_record.comment);
    v_record.open_time := coalesce(p_open_time, v_record.open_time);
    v_record.close_time := coalesce(p_close_time, v_now);
  END IF;
  v_result.order_no := v_record.order_no;
  IF v_record.close_time < v_record.open_time THEN
    v_result.outcome := 'CLOSE_BEFORE_OPEN';
    RETURN v_result;
  END IF;

  v_result.bucket_minor := CASE v_record.bucket WHEN 'balance' THEN v_account.balance_minor ELSE v_account.credit_minor END;
  IF v_result.bucket_minor + v_delta < 0 THEN
    v_result.outcome := 'INSUFFICIENT_FUNDS';
    RETURN v_result;
  END IF;

  IF v_result.event_type = 'EV_RECORD_ADD' THEN
    INSERT INTO finance_records SELECT v_record.*;
  ELSE
    UPDATE finance_records r
       SET amount_minor = v_record.amount_minor, comment = v_record.comment,
           open_time = v_record.open_time, close_time = v_record.close_time, updated_at = now()
     WHERE r.order_no = v_record.order_no;
  END IF;
  -- The record's own operation and book: an update never turns a debit into a deposit. With nothing
  -- to post (same amount, new comment or times) the record still changed: it still has its event.
  v_result.event_id := (ledger_post(p_login, v_record.order_no, v_record.operation,
    CASE v_record.bucket WHEN 'balance' THEN v_delta ELSE 0 END,
    CASE v_record.bucket WHEN 'credit' THEN v_delta ELSE 0 END,
    0, v_record.system_book, p_source, p_actor, p_idempotency_key, v_record.comment,
    v_result.event_type, p_command_id, v_account.currency, v_record.cmd, 3::smallint, v_record.amount_minor,
    v_record.open_time, v_record.close_time, NULL, NULL, NULL, NULL)).event_id;

  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (scope, key, request_digest, order_no, event_type, event_id)
    VALUES (p_source, p_idempotency_key, p_request_digest, v_record.order_no, v_result.event_type, v_result.event_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      -- the same key committed meanwhile for another account: decide again from the start
      RAISE EXCEPTION 'idempotency key % was used concurrently', p_idempotency_key
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;
  v_result.bucket_minor := v_result.bucket_minor + v_delta;
  v_result.outcome := 'OK';
  RETURN v_result;
END $$;

-- The advisory lock of a once-only key: transactions applying one key take turns on it, so that
-- a batch can see without waiting that another transaction is deciding the same key.
CREATE OR REPLACE FUNCTION idempotency_key_lock_id(p_scope text, p_key text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('idempotency:' || p_scope || ':' || p_key, 0) $$;

-- Many balance operations in one transaction (the admin API's and the manager API's, coalesced per
-- lane as the wallet's are): one result per request, in order; each request is exactly
-- balance_operation_apply, seeing the effects of the batch's earlier requests. p_requests is a JSON
-- array of objects with the parameters of balance_operation_apply (bigints as strings, the digest
-- in hex). The accounts are locked in ascending login order first, never waiting (SKIP LOCKED): a
-- request on an account someone else holds — or on a record someone else is updating, or with a
-- once-only key another transaction is deciding — is answered ACCOUNT_BUSY with nothing done, and
-- the application runs it again alone, waiting for the lock. So one locked account never makes the
-- other accounts of a batch wait, and concurrent batches cannot deadlock on accounts.
CREATE OR REPLACE FUNCTION balance_operation_apply_batch(p_requests jsonb)
RETURNS SETOF balance_operation_result LANGUAGE plpgsql AS $$
DECLARE
  v_locked bigint[];
  v_busy bigint[] := '{}';
  r jsonb;
  v_login bigint;
BEGIN
  SELECT coalesce(array_agg(a.login), '{}') INTO v_locked
    FROM (SELECT login FROM accounts
           WHERE login IN (SELECT (x ->> 'login')::bigint FROM jsonb_array_elements(p_requests) x)
           ORDER BY login FOR NO KEY UPDATE SKIP LOCKED) a;
  FOR r IN SELECT x FROM jsonb_array_elements(p_requests) x LOOP
    v_login := (r ->> 'login')::bigint;
    -- Nothing else may make the batch wait either: a record being updated someone else holds (an
    -- operator's psql), or a once-only key another transaction is deciding.
    -- Once one request of an account is busy, its later ones are too: they must not overtake it.
    IF v_login = ANY (v_busy)
       OR (NOT v_login = ANY (v_locked) AND EXISTS (SELECT 1 FROM accounts a WHERE a.login = v_login))
       OR (r ->> 'targetOrderNo' IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM finance_records f WHERE f.order_no = (r ->> 'targetOrderNo')::bigint FOR UPDATE SKIP LOCKED)
           AND EXISTS (SELECT 1 FROM finance_records f WHERE f.order_no = (r ->> 'targetOrderNo')::bigint))
       OR (r ->> 'idempotencyKey' IS NOT NULL
           AND NOT pg_try_advisory_xact_lock(idempotency_key_lock_id(r ->> 'source', r ->> 'idempotencyKey'))) THEN
      v_busy := v_busy || v_login;
      RETURN NEXT ROW('ACCOUNT_BUSY', NULL, NULL, NULL, NULL)::balance_operation_result;
      CONTINUE;
    END IF;
    RETURN NEXT balance_operation_apply(
      v_login, coalesce((r ->> 'newOrderNo')::bigint, nextval('order_numbers')), (r ->> 'targetOrderNo')::bigint,
      (r ->> 'cmd')::smallint, r ->> 'operation', r ->> 'bucket', r ->> 'systemBook', (r ->> 'amountMinor')::bigint,
      r ->> 'comment', r ->> 'defaultComment', (r ->> 'openTime')::bigint, (r ->> 'closeTime')::bigint,
      r ->> 'source', r ->> 'actor', r ->> 'idempotencyKey', decode(r ->> 'requestDigest', 'hex'), (r ->> 'commandId')::uuid);
  END LOOP;
END $$;

-- Deletes (reverses) a finance record: a new journal entry with the opposite amount on the record's
-- own bucket, operation and book, the record's state 6 and an EV_RECORD_DELETE event. Once only: a
-- second deletion answers the first one's event (REPLAY). Refused when the bucket cannot give the
-- amount back. The caller names the record's login (read beforehand: a record never changes hands).
CREATE FUNCTION balance_operation_delete(
  p_login bigint,
  p_order_no bigint,
  p_source text,
  p_actor text,
  p_command_id uuid
) RETURNS balance_operation_result LANGUAGE plpgsql AS $$
DECLARE
  v_result balance_operation_result := ROW(NULL, p_order_no, 'EV_RECORD_DELETE', NULL, NULL);
  v_account accounts := account_lock(p_login);
  v_record finance_records%ROWTYPE;
BEGIN
  SELECT * INTO v_record FROM finance_records r WHERE r.order_no = p_order_no AND r.login = p_login FOR UPDATE;
  IF v_account.login IS NULL OR NOT FOUND THEN
    v_result.outcome := 'RECORD_NOT_FOUND';
    RETURN v_result;
  END IF;
  IF v_record.state = 6 THEN
    v_result.outcome := 'REPLAY';
    v_result.event_id := v_record.delete_event_id;
    RETURN v_result;
  END IF;

  v_result.bucket_minor := CASE v_record.bucket WHEN 'balance' THEN v_account.balance_minor ELSE v_account.credit_minor END;
  IF v_result.bucket_minor - v_record.amount_minor < 0 THEN
    v_result.outcome := 'INSUFFICIENT_FUNDS';
    RETURN v_result;
  END IF;
  v_result.event_id := (ledger_post(p_login, p_order_no, v_record.operation,
    CASE v_record.bucket WHEN 'balance' THEN -v_record.amount_minor ELSE 0 END,
    CASE v_record.bucket WHEN 'credit' THEN -v_record.amount_minor ELSE 0 END,
    0, v_record.system_book, p_source, p_actor, NULL, v_record.comment,
    v_result.event_type, p_command_id, v_account.currency, v_record.cmd, 6::smallint, v_record.amount_minor,
    v_record.open_time, v_record.close_time, NULL, NULL, NULL, NULL)).event_id;
  UPDATE finance_records r SET state = 6, delete_event_id = v_result.event_id, updated_at = now() WHERE r.order_no = p_order_no;
  v_result.bucket_minor := v_result.bucket_minor - v_record.amount_minor;
  v_result.outcome := 'OK';
  RETURN v_result;
END $$;
