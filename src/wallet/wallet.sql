-- The wallet engine: getbalance, opentrade and closetrade of the trading platform, executed in one
-- database round trip each (or many in one round trip: every argument is an array, one element per
-- request, and one result row per request comes back in the same order).
--
-- Outcomes are the finance core's codes (OK, INSUFFICIENT_FUNDS, INVALID_TOKEN, ...); the wallet
-- transport turns them into platform statuses. Refusals change no money and are not errors: one
-- refused request never rolls back the others of its batch.

CREATE OR REPLACE FUNCTION wallet_balance(
  p_login bigint, p_token_live boolean, p_currency text, p_amount bigint,
  OUT outcome text, OUT account_currency text, OUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
BEGIN
  IF p_login IS NULL OR NOT p_token_live THEN
    outcome := 'INVALID_TOKEN';
    RETURN;
  END IF;
  SELECT a.status, a.currency, a.balance_minor + a.credit_minor
    INTO v_status, account_currency, available_minor
    FROM accounts a WHERE a.login = p_login;
  outcome := CASE
    WHEN v_status = 'disabled' THEN 'ACCOUNT_DISABLED'
    WHEN account_currency <> p_currency THEN 'CURRENCY_MISMATCH'
    WHEN p_amount IS NOT NULL AND p_amount > available_minor THEN 'INSUFFICIENT_FUNDS'
    ELSE 'OK' END;
END $$;

CREATE OR REPLACE FUNCTION wallet_refuse_duplicate(
  p_source text, p_trade_type text, p_trade_id text, p_login bigint, p_detail jsonb
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO refused_duplicates (source, idempotency_key, login, detail)
  VALUES (p_source, p_trade_type || ':' || p_trade_id, p_login, p_detail)
$$;

-- Reserves the stake: balance first, then credit, into held. The caller holds the account lock.
CREATE OR REPLACE FUNCTION wallet_open(
  p_login bigint, p_token_live boolean, p_currency text, p_amount bigint,
  p_trade_type text, p_trade_id text, p_data jsonb,
  OUT outcome text, OUT account_currency text, OUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_scale integer;
  v_balance bigint;
  v_credit bigint;
  v_trade trades%ROWTYPE;
  v_from_balance bigint;
  v_from_credit bigint;
  v_order_no bigint;
  v_attempt integer;
BEGIN
  IF p_login IS NULL OR NOT p_token_live THEN
    outcome := 'INVALID_TOKEN';
    RETURN;
  END IF;
  SELECT a.currency, a.balance_minor, a.credit_minor, c.scale,
         CASE WHEN a.status = 'disabled' THEN 'ACCOUNT_DISABLED' WHEN a.currency <> p_currency THEN 'CURRENCY_MISMATCH' ELSE 'OK' END
    INTO account_currency, v_balance, v_credit, v_scale, outcome
    FROM accounts a JOIN currencies c ON c.code = a.currency WHERE a.login = p_login;
  available_minor := v_balance + v_credit;
  IF outcome <> 'OK' THEN RETURN; END IF;

  -- Two passes at most: the second one only when another account's opentrade with the same key
  -- committed between our look-up and our insert.
  FOR v_attempt IN 1..2 LOOP
    SELECT * INTO v_trade FROM trades t WHERE t.trade_type = p_trade_type AND t.trade_id = p_trade_id;
    IF FOUND THEN
      IF v_trade.state = 'open' OR v_trade.state = 'closed' THEN
        IF v_trade.login = p_login AND v_trade.stake_minor = p_amount AND v_trade.currency = p_currency THEN
          available_minor := v_trade.open_balance_minor;   -- a replay: the first answer again
          RETURN;
        END IF;
      END IF;
      outcome := 'IDEMPOTENCY_MISMATCH';
      PERFORM wallet_refuse_duplicate('wallet.opentrade', p_trade_type, p_trade_id, p_login,
        jsonb_build_object('state', v_trade.state, 'login', p_login, 'amount_minor', p_amount,
                           'currency', p_currency, 'original_login', v_trade.login,
                           'original_amount_minor', v_trade.stake_minor));
      RETURN;
    END IF;

    IF p_amount > available_minor THEN
      outcome := 'INSUFFICIENT_FUNDS';
      RETURN;
    END IF;
    v_from_balance := least(v_balance, p_amount);
    v_from_credit := p_amount - v_from_balance;
    v_order_no := nextval('order_numbers');

    INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor,
                        stake_from_credit_minor, open_balance_minor, open_data, opened_at)
    VALUES (p_trade_type, p_trade_id, v_order_no, p_login, p_currency, 'open', p_amount,
            v_from_credit, available_minor - p_amount, p_data, now())
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      PERFORM ledger_post(p_login, v_order_no, 'trade_open', -v_from_balance, -v_from_credit, p_amount,
        NULL, 'wallet', p_trade_type || ':' || p_trade_id, NULL, NULL, 'EV_RECORD_ADD',
        jsonb_build_object('order', v_order_no, 'login', p_login, 'cmd', 0, 'state', 0,
          'stake', minor_to_decimal(p_amount, v_scale), 'profit', minor_to_decimal(0, v_scale),
          'comment', 'wallet trade', 'externalTradeType', p_trade_type, 'externalTradeId', p_trade_id,
          'open_time', extract(epoch FROM now())::bigint, 'close_time', 0));
      available_minor := available_minor - p_amount;
      RETURN;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'wallet_open: trade % % keeps conflicting', p_trade_type, p_trade_id
    USING ERRCODE = 'serialization_failure';
END $$;

-- Settles a trade: releases its stake from held and pays p_amount, restoring the credit-funded part
-- of the stake to credit first. A key never opened is recorded as an orphan close and moves nothing.
-- Token expiry is not checked: trades may close long after the token expired.
CREATE OR REPLACE FUNCTION wallet_close(
  p_login bigint, p_currency text, p_amount bigint,
  p_trade_type text, p_trade_id text, p_data jsonb,
  OUT outcome text, OUT account_currency text, OUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_scale integer;
  v_trade trades%ROWTYPE;
  v_to_credit bigint;
  v_to_balance bigint;
  v_post record;
  v_attempt integer;
BEGIN
  IF p_login IS NULL THEN
    outcome := 'INVALID_TOKEN';
    RETURN;
  END IF;
  SELECT a.currency, a.balance_minor + a.credit_minor, c.scale INTO account_currency, available_minor, v_scale
    FROM accounts a JOIN currencies c ON c.code = a.currency WHERE a.login = p_login;

  FOR v_attempt IN 1..2 LOOP
    SELECT * INTO v_trade FROM trades t WHERE t.trade_type = p_trade_type AND t.trade_id = p_trade_id;
    IF NOT FOUND THEN
      IF account_currency <> p_currency THEN
        outcome := 'CURRENCY_MISMATCH';
        RETURN;
      END IF;
      INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor,
                          stake_from_credit_minor, payout_minor, close_balance_minor, close_data, closed_at)
      VALUES (p_trade_type, p_trade_id, nextval('order_numbers'), p_login, p_currency, 'orphan_closed', 0,
              0, p_amount, available_minor, p_data, now())
      ON CONFLICT DO NOTHING;
      IF FOUND THEN
        outcome := 'OK';
        RETURN;
      END IF;
      CONTINUE;   -- an opentrade with this key committed meanwhile: settle it instead
    END IF;

    IF v_trade.login <> p_login THEN
      outcome := 'FORBIDDEN';
      RETURN;
    END IF;
    IF v_trade.currency <> p_currency THEN
      outcome := 'CURRENCY_MISMATCH';
      RETURN;
    END IF;
    IF v_trade.state <> 'open' THEN
      IF v_trade.payout_minor = p_amount THEN
        outcome := 'OK';
        available_minor := v_trade.close_balance_minor;   -- a replay: the first answer again
      ELSE
        outcome := 'IDEMPOTENCY_MISMATCH';
        PERFORM wallet_refuse_duplicate('wallet.closetrade', p_trade_type, p_trade_id, p_login,
          jsonb_build_object('state', v_trade.state, 'amount_minor', p_amount,
                             'original_amount_minor', v_trade.payout_minor));
      END IF;
      RETURN;
    END IF;

    v_to_credit := least(p_amount, v_trade.stake_from_credit_minor);
    v_to_balance := p_amount - v_to_credit;
    SELECT * INTO v_post FROM ledger_post(p_login, v_trade.order_no, 'trade_close', v_to_balance, v_to_credit,
      -v_trade.stake_minor, 'house', 'wallet', p_trade_type || ':' || p_trade_id, NULL, NULL, 'EV_RECORD_UPDATE',
      jsonb_build_object('order', v_trade.order_no, 'login', p_login, 'cmd', 0, 'state', 3,
        'stake', minor_to_decimal(v_trade.stake_minor, v_scale),
        'payout', minor_to_decimal(p_amount, v_scale),
        'profit', minor_to_decimal(p_amount - v_trade.stake_minor, v_scale),
        'comment', 'wallet trade', 'externalTradeType', p_trade_type, 'externalTradeId', p_trade_id,
        'open_time', extract(epoch FROM v_trade.opened_at)::bigint,
        'close_time', extract(epoch FROM now())::bigint));
    available_minor := v_post.balance_after + v_post.credit_after;
    UPDATE trades t
       SET state = 'closed', payout_minor = p_amount, close_balance_minor = available_minor,
           close_data = p_data, closed_at = now()
     WHERE t.trade_type = p_trade_type AND t.trade_id = p_trade_id;
    outcome := 'OK';
    RETURN;
  END LOOP;
  RAISE EXCEPTION 'wallet_close: trade % % keeps conflicting', p_trade_type, p_trade_id
    USING ERRCODE = 'serialization_failure';
END $$;

-- The batch entry point. Every argument has one element per request; p_nonces elements are NULL for
-- requests signed without a nonce (legacy). Accounts are locked in ascending login order before
-- any money moves, so that concurrent batches cannot deadlock on them.
CREATE OR REPLACE FUNCTION wallet_execute(
  p_kinds text[], p_nonces text[], p_token_hashes bytea[], p_currencies text[], p_amounts bigint[],
  p_trade_types text[], p_trade_ids text[], p_data jsonb[]
) RETURNS TABLE (r_outcome text, r_login bigint, r_currency text, r_available_minor bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer := coalesce(array_length(p_kinds, 1), 0);
  v_fresh_nonces text[];
  v_logins bigint[];
  v_live boolean[];
  i integer;
BEGIN
  WITH inserted AS (
    INSERT INTO wallet_nonces (nonce)
    SELECT DISTINCT n FROM unnest(p_nonces) AS n WHERE n IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING nonce)
  SELECT coalesce(array_agg(nonce), '{}') INTO v_fresh_nonces FROM inserted;

  SELECT array_agg(wt.login ORDER BY r.ord), array_agg(coalesce(wt.expires_at > now(), false) ORDER BY r.ord)
    INTO v_logins, v_live
    FROM unnest(p_token_hashes) WITH ORDINALITY AS r (hash, ord)
    LEFT JOIN wallet_tokens wt ON wt.token_hash = r.hash;

  PERFORM 1 FROM accounts a
   WHERE a.login IN (SELECT l FROM unnest(v_logins, p_kinds) AS x (l, k) WHERE k IN ('open', 'close'))
   ORDER BY a.login
     FOR UPDATE;

  FOR i IN 1..v_count LOOP
    r_login := v_logins[i];
    IF p_nonces[i] IS NOT NULL
       AND (NOT p_nonces[i] = ANY (v_fresh_nonces) OR array_position(p_nonces, p_nonces[i]) <> i) THEN
      r_outcome := 'INVALID_DIGEST';   -- the nonce was seen before: a replayed request
      r_currency := NULL;
      r_available_minor := NULL;
    ELSIF p_kinds[i] = 'balance' THEN
      SELECT * INTO r_outcome, r_currency, r_available_minor
        FROM wallet_balance(v_logins[i], v_live[i], p_currencies[i], p_amounts[i]);
    ELSIF p_kinds[i] = 'open' THEN
      SELECT * INTO r_outcome, r_currency, r_available_minor
        FROM wallet_open(v_logins[i], v_live[i], p_currencies[i], p_amounts[i], p_trade_types[i],
                         p_trade_ids[i], p_data[i]);
    ELSIF p_kinds[i] = 'close' THEN
      SELECT * INTO r_outcome, r_currency, r_available_minor
        FROM wallet_close(v_logins[i], p_currencies[i], p_amounts[i], p_trade_types[i], p_trade_ids[i],
                          p_data[i]);
    ELSE
      RAISE EXCEPTION 'wallet_execute: unknown request kind %', p_kinds[i];
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

-- Exchanges a single-use launch token for a wallet token (both given as SHA-256 digests).
CREATE OR REPLACE FUNCTION wallet_authenticate(
  p_nonce text, p_launch_hash bytea, p_wallet_hash bytea, p_ttl_s integer,
  OUT outcome text, OUT login bigint, OUT account_currency text, OUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
BEGIN
  IF p_nonce IS NOT NULL THEN
    INSERT INTO wallet_nonces (nonce) VALUES (p_nonce) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      outcome := 'INVALID_DIGEST';
      RETURN;
    END IF;
  END IF;
  UPDATE launch_tokens lt SET used_at = now()
   WHERE lt.token_hash = p_launch_hash AND lt.used_at IS NULL AND lt.expires_at > now()
  RETURNING lt.login INTO login;
  IF NOT FOUND THEN
    outcome := 'INVALID_TOKEN';
    RETURN;
  END IF;
  SELECT a.status, a.currency, a.balance_minor + a.credit_minor INTO v_status, account_currency, available_minor
    FROM accounts a WHERE a.login = wallet_authenticate.login;
  IF v_status = 'disabled' THEN
    outcome := 'ACCOUNT_DISABLED';
    RETURN;
  END IF;
  INSERT INTO wallet_tokens (token_hash, login, expires_at)
  VALUES (p_wallet_hash, wallet_authenticate.login, now() + make_interval(secs => p_ttl_s));
  outcome := 'OK';
END $$;
