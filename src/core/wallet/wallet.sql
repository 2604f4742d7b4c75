-- The wallet engine: getbalance, opentrade and closetrade of the trading platform, executed in one
-- database round trip each (or many in one round trip: every argument is an array, one element per
-- request, and one result row per request comes back in the same order).
--
-- Outcomes are the finance core's codes (WALLET_OUTCOMES in wallet-store.ts declares the same list
-- and checks every answer against it); the wallet transport turns them into platform statuses.
-- Refusals change no money and are not errors: one refused request never rolls back the others of
-- its batch.

DROP FUNCTION IF EXISTS wallet_execute(text[], text[], bytea[], text[], bigint[], text[], text[], jsonb[]);
DROP FUNCTION IF EXISTS wallet_open(bigint, boolean, text, bigint, text, text, jsonb);
DROP FUNCTION IF EXISTS wallet_close(bigint, text, bigint, text, text, jsonb);
DROP FUNCTION IF EXISTS wallet_open(accounts, boolean, text, bigint, text, text, jsonb);
DROP FUNCTION IF EXISTS wallet_close(accounts, text, bigint, text, text, jsonb);
DROP FUNCTION IF EXISTS wallet_refuse_duplicate(text, text, text, bigint, jsonb);

-- Whether an account takes a wallet request in p_currency: OK, or the reason it does not.
CREATE OR REPLACE FUNCTION wallet_account_check(p_account accounts, p_currency text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_account.status = 'disabled' THEN 'ACCOUNT_DISABLED'
              WHEN p_account.currency <> p_currency THEN 'CURRENCY_MISMATCH'
              ELSE 'OK' END
$$;

CREATE OR REPLACE FUNCTION wallet_balance(
  p_login bigint, p_token_live boolean, p_currency text, p_amount bigint,
  OUT outcome text, OUT account_currency text, OUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_account accounts;
BEGIN
  IF p_login IS NULL OR NOT p_token_live THEN
    outcome := 'INVALID_TOKEN';
    RETURN;
  END IF;
  SELECT * INTO v_account FROM accounts a WHERE a.login = p_login;
  account_currency := v_account.currency;
  available_minor := v_account.balance_minor + v_account.credit_minor;
  outcome := wallet_account_check(v_account, p_currency);
  IF outcome = 'OK' AND p_amount IS NOT NULL AND p_amount > available_minor THEN
    outcome := 'INSUFFICIENT_FUNDS';
  END IF;
END $$;

-- Reserves the stake: balance first, then credit, into held. The caller holds the account lock,
-- has checked the token, and passes the account's platform balance in available_minor. The trade
-- key is looked at first: a repeat with the same content is answered from the first outcome, a key
-- used with other content (amount, currency, user) is a duplicate.
CREATE OR REPLACE FUNCTION wallet_open(
  p_account accounts, p_currency text, p_amount bigint, p_trade_type text, p_trade_id text, p_data jsonb,
  OUT outcome text, INOUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_trade trades%ROWTYPE;
  v_from_balance bigint;
  v_from_credit bigint;
  v_order_no bigint;
  v_now bigint := extract(epoch FROM now())::bigint;
  v_attempt integer;
BEGIN
  -- Two passes at most: the second one only when another account's opentrade with the same key
  -- committed between our look-up and our insert.
  FOR v_attempt IN 1..2 LOOP
    SELECT * INTO v_trade FROM trades t WHERE t.trade_type = p_trade_type AND t.trade_id = p_trade_id;
    IF FOUND THEN
      IF v_trade.state IN ('open', 'closed') AND v_trade.login = p_account.login
         AND v_trade.stake_minor = p_amount AND v_trade.currency = p_currency THEN
        outcome := 'OK';
        available_minor := v_trade.open_balance_minor;   -- a replay: the first answer again
      ELSE
        outcome := 'IDEMPOTENCY_MISMATCH';
        PERFORM refused_duplicate_append('wallet.opentrade', p_trade_type || ':' || p_trade_id, p_account.login,
          jsonb_build_object('state', v_trade.state, 'login', p_account.login, 'amount_minor', p_amount,
                             'currency', p_currency, 'original_login', v_trade.login,
                             'original_amount_minor', v_trade.stake_minor, 'original_currency', v_trade.currency));
      END IF;
      RETURN;
    END IF;

    outcome := wallet_account_check(p_account, p_currency);
    IF outcome <> 'OK' THEN RETURN; END IF;
    IF p_amount > available_minor THEN
      outcome := 'INSUFFICIENT_FUNDS';
      RETURN;
    END IF;
    v_from_balance := least(p_account.balance_minor, p_amount);
    v_from_credit := p_amount - v_from_balance;
    v_order_no := nextval('order_numbers');

    INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor,
                        stake_from_credit_minor, open_balance_minor, open_data, opened_at)
    VALUES (p_trade_type, p_trade_id, v_order_no, p_account.login, p_currency, 'open', p_amount,
            v_from_credit, available_minor - p_amount, p_data, now())
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      PERFORM ledger_post(p_account.login, v_order_no, 'trade_open', -v_from_balance, -v_from_credit, p_amount,
        NULL, 'wallet', p_trade_type || ':' || p_trade_id, NULL, NULL,
        'EV_RECORD_ADD', NULL, p_currency, 0::smallint, 0::smallint, 0, v_now, 0, p_amount, NULL, p_trade_type, p_trade_id);
      available_minor := available_minor - p_amount;
      RETURN;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'wallet_open: trade % % keeps conflicting', p_trade_type, p_trade_id
    USING ERRCODE = 'serialization_failure';
END $$;

-- Settles a trade: releases its stake from held and pays p_amount, restoring the credit-funded part
-- of the stake to credit first. A key never opened is recorded as an orphan close and moves nothing.
-- Token expiry is not checked: trades may close long after the token expired. The caller holds the
-- account lock and passes the account's platform balance in available_minor.
CREATE OR REPLACE FUNCTION wallet_close(
  p_account accounts, p_currency text, p_amount bigint, p_trade_type text, p_trade_id text, p_data jsonb,
  OUT outcome text, INOUT available_minor bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_trade trades%ROWTYPE;
  v_to_credit bigint;
  v_to_balance bigint;
  v_post record;
  v_attempt integer;
BEGIN
  FOR v_attempt IN 1..2 LOOP
    SELECT * INTO v_trade FROM trades t WHERE t.trade_type = p_trade_type AND t.trade_id = p_trade_id;
    IF NOT FOUND THEN
      IF p_account.currency <> p_currency THEN
        outcome := 'CURRENCY_MISMATCH';
        RETURN;
      END IF;
      INSERT INTO trades (trade_type, trade_id, order_no, login, currency, state, stake_minor,
                          stake_from_credit_minor, payout_minor, close_balance_minor, close_data, closed_at)
      VALUES (p_trade_type, p_trade_id, nextval('order_numbers'), p_account.login, p_currency, 'orphan_closed', 0,
              0, p_amount, available_minor, p_data, now())
      ON CONFLICT DO NOTHING;
      IF FOUND THEN
        outcome := 'OK';
        RETURN;
      END IF;
      CONTINUE;   -- an opentrade with this key committed meanwhile: settle it instead
    END IF;

    IF v_trade.login <> p_account.login THEN
      outcome := 'FORBIDDEN';
      RETURN;
    END IF;
    IF v_trade.state <> 'open' THEN
      IF v_trade.payout_minor = p_amount AND v_trade.currency = p_currency THEN
        outcome := 'OK';
        available_minor := v_trade.close_balance_minor;   -- a replay: the first answer again
      ELSE
        outcome := 'IDEMPOTENCY_MISMATCH';
        PERFORM refused_duplicate_append('wallet.closetrade', p_trade_type || ':' || p_trade_id, p_account.login,
          jsonb_build_object('state', v_trade.state, 'amount_minor', p_amount, 'currency', p_currency,
                             'original_amount_minor', v_trade.payout_minor, 'original_currency', v_trade.currency));
      END IF;
      RETURN;
    END IF;
    IF v_trade.currency <> p_currency THEN
      outcome := 'CURRENCY_MISMATCH';
      RETURN;
    END IF;

    v_to_credit := least(p_amount, v_trade.stake_from_credit_minor);
    v_to_balance := p_amount - v_to_credit;
    SELECT * INTO v_post FROM ledger_post(p_account.login, v_trade.order_no, 'trade_close', v_to_balance, v_to_credit,
      -v_trade.stake_minor, 'house', 'wallet', p_trade_type || ':' || p_trade_id, NULL, NULL,
      'EV_RECORD_UPDATE', NULL, p_currency, 0::smallint, 3::smallint, p_amount - v_trade.stake_minor,
      extract(epoch FROM v_trade.opened_at)::bigint, extract(epoch FROM now())::bigint,
      v_trade.stake_minor, p_amount, p_trade_type, p_trade_id);
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
-- requests signed without a nonce (legacy).
--
-- The accounts of opentrade and closetrade requests are locked in ascending login order before any
-- money moves (concurrent batches cannot deadlock on them). A batch never waits for an account that
-- someone else holds (SKIP LOCKED): such requests are answered ACCOUNT_BUSY with nothing done, their
-- nonces not consumed, and the application runs them again in a batch of that account alone with
-- p_wait, which waits for the lock under the session's lock_timeout. So one locked account never
-- makes the other accounts of a batch wait.
CREATE OR REPLACE FUNCTION wallet_execute(
  p_kinds text[], p_nonces text[], p_token_hashes bytea[], p_currencies text[], p_amounts bigint[],
  p_trade_types text[], p_trade_ids text[], p_data jsonb[], p_wait boolean
) RETURNS TABLE (r_outcome text, r_login bigint, r_currency text, r_available_minor bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer := coalesce(array_length(p_kinds, 1), 0);
  v_logins bigint[];
  v_live boolean[];
  v_movers bigint[];
  v_locked bigint[];
  v_account accounts;
  v_busy boolean[];
  v_fresh_nonces text[];
  v_used_nonces text[] := '{}';
  i integer;
BEGIN
  SELECT array_agg(wt.login ORDER BY r.ord), array_agg(coalesce(wt.expires_at > now(), false) ORDER BY r.ord)
    INTO v_logins, v_live
    FROM unnest(p_token_hashes) WITH ORDINALITY AS r (hash, ord)
    LEFT JOIN wallet_tokens wt ON wt.token_hash = r.hash;

  SELECT coalesce(array_agg(DISTINCT x.l), '{}') INTO v_movers
    FROM unnest(v_logins, p_kinds) AS x (l, k) WHERE x.k IN ('open', 'close') AND x.l IS NOT NULL;
  IF p_wait THEN
    SELECT coalesce(array_agg(a.login), '{}') INTO v_locked
      FROM (SELECT login FROM accounts WHERE login = ANY (v_movers) ORDER BY login FOR NO KEY UPDATE) a;
  ELSE
    SELECT coalesce(array_agg(a.login), '{}') INTO v_locked
      FROM (SELECT login FROM accounts WHERE login = ANY (v_movers) ORDER BY login FOR NO KEY UPDATE SKIP LOCKED) a;
  END IF;
  SELECT array_agg(x.k IN ('open', 'close') AND x.l IS NOT NULL AND NOT x.l = ANY (v_locked) ORDER BY x.ord)
    INTO v_busy
    FROM unnest(v_logins, p_kinds) WITH ORDINALITY AS x (l, k, ord);

  -- Nonces of the requests that run now (a busy request's nonce is consumed when it runs).
  WITH inserted AS (
    INSERT INTO wallet_nonces (nonce)
    SELECT DISTINCT n FROM unnest(p_nonces, v_busy) AS x (n, busy) WHERE n IS NOT NULL AND NOT busy
    ON CONFLICT DO NOTHING
    RETURNING nonce)
  SELECT coalesce(array_agg(nonce), '{}') INTO v_fresh_nonces FROM inserted;

  FOR i IN 1..v_count LOOP
    r_login := v_logins[i];
    r_currency := NULL;
    r_available_minor := NULL;
    IF v_busy[i] THEN
      r_outcome := 'ACCOUNT_BUSY';
    ELSIF p_nonces[i] IS NOT NULL AND (NOT p_nonces[i] = ANY (v_fresh_nonces) OR p_nonces[i] = ANY (v_used_nonces)) THEN
      r_outcome := 'INVALID_DIGEST';   -- the nonce was seen before (or earlier in this batch): a replay
    ELSE
      IF p_nonces[i] IS NOT NULL THEN v_used_nonces := v_used_nonces || p_nonces[i]; END IF;
      IF p_kinds[i] = 'balance' THEN
        SELECT * INTO r_outcome, r_currency, r_available_minor
          FROM wallet_balance(v_logins[i], v_live[i], p_currencies[i], p_amounts[i]);
      ELSE
        -- the locked row as it stands now (an earlier request of this batch may have changed it)
        SELECT * INTO v_account FROM accounts a WHERE a.login = v_logins[i];
        r_currency := v_account.currency;
        r_available_minor := v_account.balance_minor + v_account.credit_minor;
        -- closetrade does not check the token's expiry: trades may close long after it expired
        IF v_account.login IS NULL OR (p_kinds[i] = 'open' AND NOT v_live[i]) THEN
          r_outcome := 'INVALID_TOKEN';
          r_currency := NULL;
          r_available_minor := NULL;
        ELSIF p_kinds[i] = 'open' THEN
          SELECT * INTO r_outcome, r_available_minor
            FROM wallet_open(v_account, p_currencies[i], p_amounts[i], p_trade_types[i], p_trade_ids[i], p_data[i], r_available_minor);
        ELSIF p_kinds[i] = 'close' THEN
          SELECT * INTO r_outcome, r_available_minor
            FROM wallet_close(v_account, p_currencies[i], p_amounts[i], p_trade_types[i], p_trade_ids[i], p_data[i], r_available_minor);
        ELSE
          RAISE EXCEPTION 'wallet_execute: unknown request kind %', p_kinds[i];
        END IF;
      END IF;
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
