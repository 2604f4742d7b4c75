import type { Database } from '../../db/database';
import { minorFromDb } from '../money/amount';

export interface Posting {
  book: string;
  amountMinor: bigint;
}

export interface JournalEntry {
  id: bigint;
  orderNo: bigint;
  login: bigint;
  accountVersion: bigint;
  currency: string;
  operation: string;
  balanceDeltaMinor: bigint;
  creditDeltaMinor: bigint;
  heldDeltaMinor: bigint;
  balanceAfterMinor: bigint;
  creditAfterMinor: bigint;
  heldAfterMinor: bigint;
  actorKind: string;
  actor: string;
  idempotencyKey: string | null;
  comment: string | null;
  createdAt: Date;
  postings: Posting[];
}

/** A journal_entries row as node-postgres returns it (BIGINTs as strings). */
export interface EntryRow {
  id: string;
  order_no: string;
  login: string;
  account_version: string;
  currency: string;
  operation: string;
  balance_delta_minor: string;
  credit_delta_minor: string;
  held_delta_minor: string;
  balance_after_minor: string;
  credit_after_minor: string;
  held_after_minor: string;
  actor_kind: string;
  actor: string;
  idempotency_key: string | null;
  comment: string | null;
  created_at: Date;
}

interface EntryWithPostingsRow extends EntryRow {
  postings: { book: string; amount_minor: string | number }[];
}

/** What an account's history may be narrowed to (every part optional, all of them together). */
export interface LedgerFilter {
  operation?: string;
  /** Booked at or after. */
  from?: Date;
  /** Booked before. */
  to?: Date;
  /** The entry's reference (its once-only key), exactly. */
  reference?: string;
}

export class LedgerStore {
  constructor(private readonly db: Database) {}

  /**
   * An account's entries, newest first, with account_version below `beforeVersion` when given, and
   * those the filter keeps. Read down the (login, account_version) key: the filters are checked on the
   * account's own entries only.
   */
  async entriesOfAccount(
    login: bigint,
    beforeVersion: bigint | null,
    limit: number,
    filter: LedgerFilter = {},
  ): Promise<JournalEntry[]> {
    const query = this.withPostings()
      .where('e.login', login.toString())
      .orderBy('e.account_version', 'desc')
      .limit(limit);
    if (beforeVersion !== null) query.where('e.account_version', '<', beforeVersion.toString());
    if (filter.operation !== undefined) query.where('e.operation', filter.operation);
    if (filter.from !== undefined) query.where('e.created_at', '>=', filter.from);
    if (filter.to !== undefined) query.where('e.created_at', '<', filter.to);
    if (filter.reference !== undefined) query.where('e.idempotency_key', filter.reference);
    return (await query).map(toEntry);
  }

  /** One entry by its id, with its postings (a reconciliation discrepancy names its entries). */
  async entry(id: bigint): Promise<JournalEntry | undefined> {
    const [row] = await this.withPostings().where('e.id', id.toString());
    return row && toEntry(row);
  }

  private withPostings() {
    return this.db<EntryWithPostingsRow>('journal_entries as e').select(
      'e.*',
      this.db.raw(
        `(SELECT coalesce(json_agg(json_build_object('book', p.book, 'amount_minor', p.amount_minor::text) ORDER BY p.book), '[]')
            FROM postings p WHERE p.entry_id = e.id) AS postings`,
      ),
    );
  }
}

function toEntry(row: EntryWithPostingsRow): JournalEntry {
  return {
    id: BigInt(row.id),
    orderNo: BigInt(row.order_no),
    login: BigInt(row.login),
    accountVersion: BigInt(row.account_version),
    currency: row.currency,
    operation: row.operation,
    balanceDeltaMinor: minorFromDb(row.balance_delta_minor),
    creditDeltaMinor: minorFromDb(row.credit_delta_minor),
    heldDeltaMinor: minorFromDb(row.held_delta_minor),
    balanceAfterMinor: minorFromDb(row.balance_after_minor),
    creditAfterMinor: minorFromDb(row.credit_after_minor),
    heldAfterMinor: minorFromDb(row.held_after_minor),
    actorKind: row.actor_kind,
    actor: row.actor,
    idempotencyKey: row.idempotency_key,
    comment: row.comment,
    createdAt: row.created_at,
    postings: row.postings.map((posting) => ({
      book: posting.book,
      amountMinor: minorFromDb(String(posting.amount_minor)),
    })),
  };
}
