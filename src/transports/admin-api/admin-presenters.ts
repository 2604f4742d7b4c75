import type { Account } from '../../core/accounts/account-store';
import type { PointInTimeBalance } from '../../core/reconciliation/reconciliation-service';
import type { JournalEntry } from '../../core/ledger/ledger-store';
import { formatMinorUnits } from '../../core/money/amount';
import { requireCurrency } from '../../core/money/currency';

/** An account as the admin API shows it: amounts as decimal strings in the account's currency. */
export function presentAccount(account: Account) {
  const { scale } = requireCurrency(account.currency);
  const amount = (minor: bigint) => formatMinorUnits(minor, scale);
  return {
    login: account.login,
    currency: account.currency,
    name: account.name,
    status: account.status,
    balance: amount(account.balanceMinor),
    credit: amount(account.creditMinor),
    held: amount(account.heldMinor),
    available: amount(account.balanceMinor + account.creditMinor),
    withdrawable: amount(account.balanceMinor),
    version: account.version,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

export function presentEntry(entry: JournalEntry) {
  const { scale } = requireCurrency(entry.currency);
  const amount = (minor: bigint) => formatMinorUnits(minor, scale);
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

/** An entry on its own: with the login of its account. */
export function presentEntryOfAccount(entry: JournalEntry) {
  return { ...presentEntry(entry), login: entry.login };
}

/** A point-in-time balance: the buckets, in currency units, as the account's last entry before `at` left them. */
export function presentBalanceAt(balance: PointInTimeBalance) {
  const { scale } = requireCurrency(balance.account.currency);
  const amount = (minor: string) => formatMinorUnits(BigInt(minor), scale);
  const { buckets, entry } = balance;
  return {
    login: balance.account.login,
    currency: balance.account.currency,
    at: balance.at.toISOString(),
    balance: amount(buckets.balance_minor),
    credit: amount(buckets.credit_minor),
    held: amount(buckets.held_minor),
    available: amount((BigInt(buckets.balance_minor) + BigInt(buckets.credit_minor)).toString()),
    entry: entry ? { id: BigInt(entry.id), version: BigInt(entry.version), createdAt: entry.createdAt.toISOString() } : null,
  };
}
