/**
 * The ledger's invariants as SQL queries that return one row per discrepancy (no row: the invariant
 * holds). Each row names the account (if any), the bucket or key concerned, what was expected, what
 * was found, and the entries involved. PostgreSQL does the aggregation; the rows are streamed.
 */
export interface InvariantQuery {
  check: string;
  description: string;
  sql: string;
}

/** Columns every query returns. */
export interface DiscrepancyRow {
  login: string | null;
  subject: string | null;
  expected: string;
  found: string;
  entry_ids: string[] | null;
}

const ACCOUNT_BUCKETS = `(VALUES ('balance', a.balance_minor), ('credit', a.credit_minor), ('held', a.held_minor)) AS b (book, found)`;

export const INVARIANT_QUERIES: readonly InvariantQuery[] = [
  {
    check: 'bucket_equals_postings',
    description: 'each account bucket equals the sum of its postings',
    sql: `
      WITH sums AS (
        SELECT e.login, p.book, sum(p.amount_minor) AS total, max(e.id) AS last_entry_id
          FROM postings p JOIN journal_entries e ON e.id = p.entry_id
         WHERE p.book IN ('balance', 'credit', 'held')
         GROUP BY e.login, p.book)
      SELECT a.login::text, b.book AS subject, coalesce(s.total, 0)::text AS expected, b.found::text AS found,
             CASE WHEN s.last_entry_id IS NULL THEN NULL ELSE ARRAY[s.last_entry_id::text] END AS entry_ids
        FROM accounts a CROSS JOIN LATERAL ${ACCOUNT_BUCKETS}
        LEFT JOIN sums s ON s.login = a.login AND s.book = b.book
       WHERE coalesce(s.total, 0) <> b.found
       ORDER BY a.login, b.book`,
  },
  {
    check: 'bucket_equals_last_entry',
    description: 'each account bucket equals the value its latest journal entry left it at',
    sql: `
      SELECT a.login::text, b.book AS subject, b.after::text AS expected, b.found::text AS found,
             ARRAY[e.id::text] AS entry_ids
        FROM accounts a
        JOIN LATERAL (SELECT * FROM journal_entries e WHERE e.login = a.login ORDER BY e.account_version DESC LIMIT 1) e ON true
       CROSS JOIN LATERAL (VALUES ('balance', a.balance_minor, e.balance_after_minor),
                                  ('credit', a.credit_minor, e.credit_after_minor),
                                  ('held', a.held_minor, e.held_after_minor)) AS b (book, found, after)
       WHERE b.after <> b.found OR a.version <> e.account_version
       ORDER BY a.login, b.book`,
  },
  {
    check: 'currency_sums_to_zero',
    description: "every currency's postings sum to zero",
    sql: `
      SELECT NULL AS login, e.currency AS subject, '0' AS expected, sum(p.amount_minor)::text AS found, NULL::text[] AS entry_ids
        FROM postings p JOIN journal_entries e ON e.id = p.entry_id
       GROUP BY e.currency
      HAVING sum(p.amount_minor) <> 0`,
  },
  {
    check: 'entry_balances',
    description: 'every journal entry balances: its postings sum to zero and match its bucket changes',
    sql: `
      SELECT e.login::text, e.operation AS subject, '0' AS expected, coalesce(p.total, 0)::text AS found,
             ARRAY[e.id::text] AS entry_ids
        FROM journal_entries e
        LEFT JOIN (SELECT entry_id, sum(amount_minor) AS total,
                          coalesce(sum(amount_minor) FILTER (WHERE book = 'balance'), 0) AS balance,
                          coalesce(sum(amount_minor) FILTER (WHERE book = 'credit'), 0) AS credit,
                          coalesce(sum(amount_minor) FILTER (WHERE book = 'held'), 0) AS held
                     FROM postings GROUP BY entry_id) p ON p.entry_id = e.id
       WHERE p.entry_id IS NULL OR p.total <> 0
          OR p.balance <> e.balance_delta_minor OR p.credit <> e.credit_delta_minor OR p.held <> e.held_delta_minor
       ORDER BY e.id`,
  },
  {
    // the schema does not check these on every write (migration 8): the ledger functions keep them
    check: 'references_resolve',
    description: 'every posting belongs to a journal entry, every journal entry and trade to an account',
    sql: `
      SELECT NULL AS login, 'posting ' || p.book AS subject, 'entry ' || p.entry_id AS expected, 'missing' AS found,
             ARRAY[p.entry_id::text] AS entry_ids
        FROM postings p
       WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = p.entry_id)
      UNION ALL
      SELECT e.login::text, 'journal entry', 'account ' || e.login, 'missing', ARRAY[e.id::text]
        FROM journal_entries e
       WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.login = e.login)
      UNION ALL
      SELECT t.login::text, 'trade ' || t.trade_type || ':' || t.trade_id, 'account ' || t.login, 'missing', NULL
        FROM trades t
       WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.login = t.login)
       ORDER BY subject, expected`,
  },
  {
    check: 'held_equals_open_stakes',
    description: "each account's held bucket equals the stakes of its open trades",
    sql: `
      SELECT a.login::text, 'held' AS subject, coalesce(t.stakes, 0)::text AS expected, a.held_minor::text AS found,
             NULL::text[] AS entry_ids
        FROM accounts a
        LEFT JOIN (SELECT login, sum(stake_minor) AS stakes FROM trades WHERE state = 'open' GROUP BY login) t
               ON t.login = a.login
       WHERE coalesce(t.stakes, 0) <> a.held_minor
       ORDER BY a.login`,
  },
  {
    check: 'buckets_not_negative',
    description: 'no bucket is negative',
    sql: `
      SELECT a.login::text, b.book AS subject, '>= 0' AS expected, b.found::text AS found, NULL::text[] AS entry_ids
        FROM accounts a CROSS JOIN LATERAL ${ACCOUNT_BUCKETS}
       WHERE b.found < 0`,
  },
  {
    check: 'finance_record_equals_entries',
    description:
      "each finance record's amount equals its journal entries, all on the record's own bucket, operation and book (a deleted record's sum to zero)",
    sql: `
      WITH entries AS (
        SELECT e.order_no,
               sum(CASE r.bucket WHEN 'balance' THEN e.balance_delta_minor ELSE e.credit_delta_minor END) AS total,
               bool_and(e.login = r.login AND e.operation = r.operation AND e.held_delta_minor = 0
                        AND (CASE r.bucket WHEN 'balance' THEN e.credit_delta_minor ELSE e.balance_delta_minor END) = 0
                        AND p.entry_id IS NOT NULL) AS own_books,
               array_agg(e.id::text ORDER BY e.id) AS entry_ids
          FROM journal_entries e
          JOIN finance_records r ON r.order_no = e.order_no
          LEFT JOIN postings p ON p.entry_id = e.id AND p.book = r.system_book
         GROUP BY e.order_no)
      SELECT r.login::text, 'order ' || r.order_no AS subject,
             (CASE WHEN r.state = 6 THEN 0 ELSE r.amount_minor END)::text AS expected,
             coalesce(x.total, 0)::text || CASE WHEN coalesce(x.own_books, true) THEN '' ELSE ' (not all on its own books)' END AS found,
             x.entry_ids
        FROM finance_records r
        LEFT JOIN entries x ON x.order_no = r.order_no
       WHERE coalesce(x.total, 0) <> CASE WHEN r.state = 6 THEN 0 ELSE r.amount_minor END
          OR NOT coalesce(x.own_books, true)
       ORDER BY r.order_no`,
  },
  {
    check: 'idempotency_keys_resolve',
    description: 'every once-only key points at an existing finance record',
    sql: `
      SELECT NULL AS login, k.scope || ':' || k.key AS subject, 'order ' || k.order_no AS expected,
             'missing' AS found, NULL::text[] AS entry_ids
        FROM idempotency_keys k
       WHERE NOT EXISTS (SELECT 1 FROM finance_records r WHERE r.order_no = k.order_no)`,
  },
];
