-- Balance operations (finance records) of the admin API and the manager API: deposits,
-- withdrawals, bonus credit, adjustments, commissions, swaps. One record per order number; an
-- update of an existing record posts only the difference as a new journal entry.

-- p_new_order_no is the order number reserved by the caller for a new record; p_target_order_no is
-- the client's existing order to update (NULL, or an order that does not exist: a new record).
-- p_amount_minor is the signed amount the record applies to its bucket.
CREATE OR REPLACE FUNCTION balance_operation_apply(
  p_login bigint,
  p_new_order_no bigint,
  p_target_order_no bigint,
  p_cmd smallint,
  p_operation text,
  p_bucket text,
  p_system_book text,
  p_amount_minor bigint,
  p_comment text,
  p_open_time bigint,
  p_close_time bigint,
  p_source text,
  p_actor text,
  p_idempotency_scope text,
  p_idempotency_key text,
  p_request_digest bytea,
  OUT outcome text,
  OUT order_no bigint,
  OUT event_type text,
  OUT bucket_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_account accounts%ROWTYPE;
  v_scale integer;
  v_record finance_records%ROWTYPE;
  v_existing_key idempotency_keys%ROWTYPE;
  v_delta bigint;
  v_now bigint := extract(epoch FROM now())::bigint;
  v_open_time bigint;
  v_close_time bigint;
BEGIN
  SELECT a.* INTO v_account FROM accounts a WHERE a.login = p_login FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'ACCOUNT_NOT_FOUND';
    RETURN;
  END IF;
  SELECT c.scale INTO v_scale FROM currencies c WHERE c.code = v_account.currency;

  -- Once-only keys: checked under the account lock, so two requests with one key on one account
  -- are decided one after the other.
  IF p_idempotency_key IS NOT NULL THEN
    SELECT * INTO v_existing_key FROM idempotency_keys k
     WHERE k.scope = p_idempotency_scope AND k.key = p_idempotency_key;
    IF FOUND THEN
      order_no := v_existing_key.order_no;
      event_type := v_existing_key.event_type;
      IF v_existing_key.request_digest = p_request_digest THEN
        outcome := 'REPLAY';
      ELSE
        outcome := 'IDEMPOTENCY_MISMATCH';
        INSERT INTO refused_duplicates (source, idempotency_key, login, detail)
        VALUES (p_source, p_idempotency_key, p_login,
                jsonb_build_object('operation', p_operation, 'amount_minor', p_amount_minor,
                                   'original_order_no', v_existing_key.order_no));
      END IF;
      RETURN;
    END IF;
  END IF;

  IF p_target_order_no IS NOT NULL THEN
    SELECT * INTO v_record FROM finance_records r WHERE r.order_no = p_target_order_no FOR UPDATE;
    IF FOUND AND (v_record.login <> p_login OR v_record.cmd <> p_cmd) THEN
      outcome := 'ORDER_MISMATCH';
      RETURN;
    END IF;
  END IF;

  IF v_record.order_no IS NULL THEN
    order_no := p_new_order_no;
    event_type := 'EV_RECORD_ADD';
    v_delta := p_amount_minor;
    v_open_time := coalesce(p_open_time, v_now);
    v_close_time := coalesce(p_close_time, v_now);
  ELSE
    order_no := v_record.order_no;
    event_type := 'EV_RECORD_UPDATE';
    v_delta := p_amount_minor - v_record.amount_minor;
    v_open_time := coalesce(p_open_time, v_record.open_time);
    v_close_time := coalesce(p_close_time, v_now);
  END IF;

  bucket_minor := CASE p_bucket WHEN 'balance' THEN v_account.balance_minor ELSE v_account.credit_minor END;
  IF bucket_minor + v_delta < 0 THEN
    outcome := 'INSUFFICIENT_FUNDS';
    RETURN;
  END IF;

  IF v_record.order_no IS NULL THEN
    INSERT INTO finance_records (order_no, login, cmd, operation, bucket, amount_minor, state, comment,
                                 open_time, close_time, source, actor, reference_id)
    VALUES (order_no, p_login, p_cmd, p_operation, p_bucket, p_amount_minor, 3, p_comment,
            v_open_time, v_close_time, p_source, p_actor, p_idempotency_key);
  ELSE
    UPDATE finance_records r
       SET amount_minor = p_amount_minor, comment = coalesce(p_comment, r.comment),
           open_time = v_open_time, close_time = v_close_time, updated_at = now()
     WHERE r.order_no = balance_operation_apply.order_no;
  END IF;
  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (scope, key, request_digest, order_no, event_type)
    VALUES (p_idempotency_scope, p_idempotency_key, p_request_digest, order_no, event_type)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      -- the same key committed meanwhile for another account: decide again from the start
      RAISE EXCEPTION 'idempotency key % was used concurrently', p_idempotency_key
        USING ERRCODE = 'serialization_failure';
    END IF;
  END IF;

  IF v_delta <> 0 THEN
    PERFORM ledger_post(p_login, order_no, p_operation,
      CASE p_bucket WHEN 'balance' THEN v_delta ELSE 0 END,
      CASE p_bucket WHEN 'credit' THEN v_delta ELSE 0 END,
      0, p_system_book, p_source, p_actor, p_idempotency_key, p_comment, event_type,
      finance_record_event_data(order_no, v_scale));
  ELSE
    -- Nothing to post (same amount, new comment or times): the record still changed, so it still
    -- produces its event, written under the account lock like every other event.
    INSERT INTO events (channel, type, login, order_no, payload)
    VALUES ('trade:event', event_type, p_login, order_no, finance_record_event_data(order_no, v_scale));
  END IF;
  bucket_minor := bucket_minor + v_delta;
  outcome := 'OK';
END $$;

-- The data of a finance record's trade:event, in ScaleTrade's shape.
CREATE OR REPLACE FUNCTION finance_record_event_data(p_order_no bigint, p_scale integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('order', r.order_no, 'login', r.login, 'cmd', r.cmd, 'state', r.state,
                            'profit', minor_to_decimal(r.amount_minor, p_scale),
                            'comment', coalesce(r.comment, ''), 'open_time', r.open_time,
                            'close_time', r.close_time)
    FROM finance_records r WHERE r.order_no = p_order_no
$$;
