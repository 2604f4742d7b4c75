-- The authentication throttle (failure-throttle.ts): failed console sign-ins and wrong bearer keys,
-- counted per subject (a scope and a username or an address) in auth_failures, shared by every
-- instance. A subject is over its limit once `failures_max` rows fall within its window; it may try
-- again when the oldest of its latest `failures_max` rows leaves the window.
--
-- A guess is counted BEFORE its credential is evaluated (a reservation), and counted only while
-- every subject of the guess is under its limit. Counting first and recording after the evaluation
-- let any number of guesses sent at once through: each saw the count before any of them was
-- recorded.

DROP FUNCTION IF EXISTS auth_attempt_wait(jsonb, timestamptz);
DROP FUNCTION IF EXISTS auth_attempt_reserve(jsonb);

-- The seconds to wait before the subjects may try (the longest among those over their limit), or
-- NULL when every one is under its limit. p_subjects: [{scope, subject, window_s, failures_max}].
CREATE OR REPLACE FUNCTION auth_attempt_wait(p_subjects jsonb, p_now timestamptz) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT greatest(1, max(ceil(extract(epoch FROM w.oldest + make_interval(secs => s.window_s) - p_now))))::integer
    FROM jsonb_to_recordset(p_subjects) AS s (scope text, subject text, window_s integer, failures_max integer)
    CROSS JOIN LATERAL (
      SELECT min(recent.failed_at) AS oldest, count(*) AS counted
        FROM (SELECT a.failed_at FROM auth_failures a
               WHERE a.scope = s.scope AND a.subject = s.subject AND a.failed_at > p_now - make_interval(secs => s.window_s)
               ORDER BY a.failed_at DESC
               LIMIT s.failures_max) AS recent
    ) AS w
   WHERE w.counted >= s.failures_max
  HAVING count(*) > 0
$$;

-- Counts one attempt of every subject, all or none: `attempt_ids` (the rows, which a success
-- deletes) when every subject is under its limit, else `wait_s` and nothing counted.
--
-- The attempts on a subject are decided one after the other, on every instance: each takes an
-- advisory lock per subject (in the order of the lock keys, so that two guesses sharing subjects
-- cannot wait for each other) and holds it to the end of its transaction, which is this call's.
-- Under READ COMMITTED each statement of the function takes a new snapshot, so the count made after
-- the locks sees the rows of every guess that held them before. The locks are held for the count and
-- the insert only, never while a password is hashed.
CREATE OR REPLACE FUNCTION auth_attempt_reserve(p_subjects jsonb, OUT attempt_ids bigint[], OUT wait_s integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_key bigint;
  v_now timestamptz;
BEGIN
  FOR v_key IN
    SELECT DISTINCT hashtextextended('auth-throttle:' || s.scope || ':' || s.subject, 0)
      FROM jsonb_to_recordset(p_subjects) AS s (scope text, subject text)
     ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(v_key);
  END LOOP;
  -- the clock once the locks are held: now() is the start of the transaction, before any wait for them
  v_now := clock_timestamp();
  wait_s := auth_attempt_wait(p_subjects, v_now);
  IF wait_s IS NOT NULL THEN
    RETURN;
  END IF;
  WITH counted AS (
    INSERT INTO auth_failures (scope, subject, failed_at)
    SELECT s.scope, s.subject, v_now FROM jsonb_to_recordset(p_subjects) AS s (scope text, subject text)
    RETURNING id
  )
  SELECT array_agg(counted.id) INTO attempt_ids FROM counted;
END
$$;
