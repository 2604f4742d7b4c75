import type { Account } from '../../core/accounts/account-store';
import { unitsOf } from './units';

/** An account as the admin API, the console and the CLI show it: amounts in its currency's units. */
export interface PresentedAccount {
  login: bigint;
  currency: string;
  name: string | null;
  status: Account['status'];
  balance: string;
  credit: string;
  held: string;
  /** balance + credit: what trading may use. */
  available: string;
  /** The balance: what may be paid out. */
  withdrawable: string;
  version: bigint;
  createdAt: string;
  updatedAt: string;
}

export function presentAccount(account: Account): PresentedAccount {
  const amount = unitsOf(account.currency);
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
