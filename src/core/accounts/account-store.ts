import type { Database } from '../../db/database';
import { minorFromDb } from '../money/amount';

export interface Account {
  login: bigint;
  currency: string;
  name: string | null;
  status: 'active' | 'disabled';
  balanceMinor: bigint;
  creditMinor: bigint;
  heldMinor: bigint;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

interface AccountRow {
  login: string;
  currency: string;
  name: string | null;
  status: 'active' | 'disabled';
  balance_minor: string;
  credit_minor: string;
  held_minor: string;
  version: string;
  created_at: Date;
  updated_at: Date;
}

export class AccountStore {
  constructor(private readonly db: Database) {}

  /** Inserts the account; returns undefined when the login is taken. */
  async insert(login: bigint, currency: string, name: string | null): Promise<Account | undefined> {
    const rows = await this.db<AccountRow>('accounts')
      .insert({ login: login.toString(), currency, name })
      .onConflict('login')
      .ignore()
      .returning('*');
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  async find(login: bigint): Promise<Account | undefined> {
    const row = await this.db<AccountRow>('accounts').where({ login: login.toString() }).first();
    return row ? toAccount(row) : undefined;
  }

  async setStatus(login: bigint, status: Account['status']): Promise<Account | undefined> {
    const rows = await this.db<AccountRow>('accounts')
      .where({ login: login.toString() })
      .update({ status, updated_at: this.db.fn.now() as unknown as Date })
      .returning('*');
    return rows[0] ? toAccount(rows[0]) : undefined;
  }
}

function toAccount(row: AccountRow): Account {
  return {
    login: BigInt(row.login),
    currency: row.currency,
    name: row.name,
    status: row.status,
    balanceMinor: minorFromDb(row.balance_minor),
    creditMinor: minorFromDb(row.credit_minor),
    heldMinor: minorFromDb(row.held_minor),
    version: BigInt(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
