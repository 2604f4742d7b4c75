/**
 * The ledger's invariants as SQL queries that return one row per discrepancy (no row: the invariant
 * holds). Each row carries the account (if any), what was expected, what was found and the entries
 * involved. Pure SQL text: the reconciliation store streams them.
 */
export interface InvariantQuery {
  check: string;
  description: string;
  sql: string;
}

export const INVARIANT_QUERIES: readonly InvariantQuery[] = [
  {
    check: 'bucket_equals_postings',
    description: "each account bucket equals the sum of its postings",
    sql: `
      SELECT a.login, b.book AS bucket, coalesce(s.total, 0)::text AS expected, b.found::text AS found,
             NULL::bigint[] AS entry_ids
        FROM accounts a
       CROSS JOIN LATERAL (VALUES ('balance', a.balance_minor), ('credit', a.credit_minor), ('held', a.held_minor))
             AS b (book, found)
        LEFT JOIN LATERAL (
             SELECT sum(p.amount_minor) AS total
               FROM journal_entries e JOIN postings p ON p.entry_id = e.id AND p.book = b.book
              WHERE e.login = a.login) s ON true
       WHERE coalesce(s.total, 0) <> b.found
       ORDER BY a.login, b.book`,
  },
  {
    check: 'currency_sums_to_zero',
    description: "every currency's postings sum to zero",
    sql: `
      SELECT NULL::bigint AS login, e.currency AS bucket, '0' AS expected, sum(p.amount_minor)::text AS found,
             NULL::bigint[] AS entry_ids
        FROM postings p JOIN journal_entries e ON e.id = p.entry_id
       GROUP BY e.currency
      HAVING sum(p.amount_minor) <> 0`,
  },
  {
    check: 'entry_balances',
    description: 'every journal entry balances: its postings sum to zero and match its bucket changes',
    sql: `
      SELECT e.login, NULL AS bucket, '0' AS expected, coalesce(sum(p.amount_minor), 0)::text AS found,
             ARRAY[e.id] AS entry_ids
        FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
       GROUP BY e.id
      HAVING coalesce(sum(p.amount_minor), 0) <> 0
          OR count(p.entry_id) = 0
          OR coalesce(sum(p.amount_minor) FILTER (WHERE p.book = 'balance'), 0) <> e.balance_delta_minor
          OR coalesce(sum(p.amount_minor) FILTER (WHERE p.book = 'credit'), 0) <> e.credit_delta_minor
          OR coalesce(sum(p.amount_minor) FILTER (WHERE p.book = 'held'), 0) <> e.held_delta_minor`,
  },
  {
    check: 'held_equals_open_stakes',
    description: "each account's held bucket equals the stakes of its open trades",
    sql: `
      SELECT a.login, 'held' AS bucket, coalesce(t.stakes, 0)::text AS expected, a.held_minor::text AS found,
             NULL::bigint[] AS entry_ids
        FROM accounts a
        LEFT JOIN (SELECT login, sum(stake_minor) AS stakes FROM trades WHERE state = 'open' GROUP BY login) t
               ON t.login = a.login
       WHERE coalesce(t.stakes, 0) <> a.held_minor`,
  },
  {
    check: 'buckets_not_negative',
    description: 'no bucket is negative',
    sql: `
      SELECT a.login, b.book AS bucket, '>= 0' AS expected, b.found::text AS found, NULL::bigint[] AS entry_ids
        FROM accounts a
       CROSS JOIN LATERAL (VALUES ('balance', a.balance_minor), ('credit', a.credit_minor), ('held', a.held_minor))
             AS b (book, found)
       WHERE b.found < 0`,
  },
  {
    check: 'idempotency_keys_resolve',
    description: 'every once-only key points at an existing finance record with its entries',
    sql: `
      SELECT NULL::bigint AS login, k.scope || ':' || k.key AS bucket, 'order ' || k.order_no AS expected,
             'missing' AS found, NULL::bigint[] AS entry_ids
        FROM idempotency_keys k
       WHERE NOT EXISTS (SELECT 1 FROM finance_records r WHERE r.order_no = k.order_no)`,
  },
];
