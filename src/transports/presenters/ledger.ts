import type { JournalEntry } from '../../core/ledger/ledger-store';
import { unitsOf } from './units';

/** A journal entry of an account's ledger: its changes and after-values in the currency's units. */
export interface PresentedEntry {
  id: bigint;
  order: bigint;
  /** The account's version this entry made. */
  version: bigint;
  operation: string;
  currency: string;
  balanceChange: string;
  creditChange: string;
  heldChange: string;
  balanceAfter: string;
  creditAfter: string;
  heldAfter: string;
  actorKind: string;
  actor: string;
  /** The idempotency key it was booked under. */
  referenceId: string | null;
  comment: string | null;
  createdAt: string;
  /** Its double-entry postings, which sum to zero. */
  postings: Array<{ book: string; amount: string }>;
}

/** An entry on its own (not in its account's ledger): with the login of its account. */
export interface PresentedEntryOfAccount extends PresentedEntry {
  login: bigint;
}

export function presentEntry(entry: JournalEntry): PresentedEntry {
  const amount = unitsOf(entry.currency);
  return {
    id: entry.id,
    order: entry.orderNo,
    version: entry.accountVersion,
    operation: entry.operation,
    currency: entry.currency,
    balanceChange: amount(entry.balanceDeltaMinor),
    creditChange: amount(entry.creditDeltaMinor),
    heldChange: amount(entry.heldDeltaMinor),
    balanceAfter: amount(entry.balanceAfterMinor),
    creditAfter: amount(entry.creditAfterMinor),
    heldAfter: amount(entry.heldAfterMinor),
    actorKind: entry.actorKind,
    actor: entry.actor,
    referenceId: entry.idempotencyKey,
    comment: entry.comment,
    createdAt: entry.createdAt.toISOString(),
    postings: entry.postings.map((posting) => ({ book: posting.book, amount: amount(posting.amountMinor) })),
  };
}

export function presentEntryOfAccount(entry: JournalEntry): PresentedEntryOfAccount {
  return { ...presentEntry(entry), login: entry.login };
}
