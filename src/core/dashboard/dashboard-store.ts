import { bindings, type Database } from '../../db/database';
import { TRADE_OPERATIONS } from '../ledger/ledger-service';
import type { Period } from '../reconciliation/reconciliation-store';

/**
 * Sums of one operation's journal entries in one UTC day and currency, in minor units. The client's
 * funds are balance + credit + held: their change is what the entry's system book took the other
 * side of (a trade's opening moves funds between buckets and changes none).
 */
export interface OperationDayRow {
  /** YYYY-MM-DD (UTC). */
  day: string;
  currency: string;
  operation: string;
  /** Sum of the entries that raised the client's funds. */
  funds_in_minor: string;
  /** Sum of the entries that lowered them (zero or negative). */
  funds_out_minor: string;
  /** Sum of the held bucket's changes (a trade's stake in, its release out). */
  held_change_minor: string;
  /** Sum of the balance and credit buckets' changes (what the client can spend). */
  available_change_minor: string;
  /** Accounts that opened or closed a trade in this day and currency (the same on every row of the day and currency). */
  accounts_traded: string;
}

export interface ExposureRow {
  currency: string;
  /** Sum of the held bucket of the currency's accounts: the stakes of open trades. */
  held_minor: string;
  accounts_with_open_trades: string;
}

/**
 * The dashboard's SQL. Both reads are aggregates whose answers are small (days x currencies x
 * operations, and one row per currency), so nothing is streamed.
 */
export class DashboardStore {
  constructor(private readonly db: Database) {}

  /**
   * One row per UTC day, currency and operation of the period, from one statement (one snapshot, so
   * the traders agree with the figures). journal_entries is read by its BRIN index on created_at
   * (entries are appended in time order, so a period is a narrow range of blocks), twice: once for
   * the sums, once for the trading accounts. Those are counted distinct by grouping per account
   * first: a hash aggregate, where count(DISTINCT) would sort every trade entry of the period. The
   * sums are MATERIALIZED so that they are hashed too: the planner cannot estimate the number of days
   * of an expression and otherwise sorts every entry of the period for a merge join (measured on
   * 1.5 million entries over a year: 30 days in 0.45 s instead of 0.64 s).
   */
  async operationDays(period: Period): Promise<OperationDayRow[]> {
    const { rows } = await this.db.raw<{ rows: OperationDayRow[] }>(
      `WITH sums AS MATERIALIZED (
         SELECT (created_at AT TIME ZONE 'UTC')::date AS day, currency, operation,
                coalesce(sum(funds_change) FILTER (WHERE funds_change > 0), 0) AS funds_in_minor,
                coalesce(sum(funds_change) FILTER (WHERE funds_change < 0), 0) AS funds_out_minor,
                sum(held_delta_minor) AS held_change_minor,
                sum(balance_delta_minor + credit_delta_minor) AS available_change_minor
           FROM (SELECT created_at, currency, operation, balance_delta_minor, credit_delta_minor, held_delta_minor,
                        balance_delta_minor + credit_delta_minor + held_delta_minor AS funds_change
                   FROM journal_entries WHERE created_at >= ? AND created_at < ?) e
          GROUP BY 1, 2, 3),
       traders AS (
         SELECT day, currency, count(*) AS accounts_traded
           FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, currency, login
                   FROM journal_entries
                  WHERE created_at >= ? AND created_at < ? AND operation IN (?, ?)
                  GROUP BY 1, 2, 3) per_account
          GROUP BY 1, 2)
       SELECT to_char(s.day, 'YYYY-MM-DD') AS day, s.currency, s.operation,
              s.funds_in_minor::text, s.funds_out_minor::text, s.held_change_minor::text,
              s.available_change_minor::text, coalesce(t.accounts_traded, 0)::text AS accounts_traded
         FROM sums s LEFT JOIN traders t ON t.day = s.day AND t.currency = s.currency
        ORDER BY s.day, s.currency, s.operation`,
      bindings([period.from, period.to, period.from, period.to, TRADE_OPERATIONS.open, TRADE_OPERATIONS.close]),
    );
    return rows;
  }

  /** Per currency of any account, now: what open trades hold and how many accounts hold it. */
  async exposure(): Promise<ExposureRow[]> {
    const { rows } = await this.db.raw<{ rows: ExposureRow[] }>(
      `SELECT currency, sum(held_minor)::text AS held_minor,
              count(*) FILTER (WHERE held_minor > 0)::text AS accounts_with_open_trades
         FROM accounts GROUP BY currency ORDER BY currency`,
    );
    return rows;
  }
}
