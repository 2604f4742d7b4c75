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

/** The orders an account list can take (`-` first: descending). */
export const ACCOUNT_SORTS = [
  'login',
  '-login',
  'name',
  '-name',
  'balance',
  '-balance',
  'created',
  '-created',
] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

/** The column behind each sort key; the login breaks ties, so a page boundary is always the same. */
const SORT_COLUMNS: Record<string, string> = {
  login: 'login',
  name: 'name',
  balance: 'balance_minor',
  created: 'created_at',
};

export interface AccountListQuery {
  /** Digits: logins starting with them, or names containing them; other text: names containing it (any case). */
  search?: string;
  status?: Account['status'];
  sort: AccountSort;
  offset: number;
  limit: number;
}

export class AccountStore {
  constructor(private readonly db: Database) {}

  /** The currency of each of these accounts that exists, in one query. */
  async currenciesOf(logins: readonly bigint[]): Promise<Map<string, string>> {
    const rows = await this.db('accounts')
      .whereIn('login', logins.map(String))
      .select<Array<{ login: string; currency: string }>>('login', 'currency');
    return new Map(rows.map((row) => [String(row.login), row.currency]));
  }

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

  /** One page of accounts in the query's order (the caller bounds offset and limit). */
  async list(query: AccountListQuery): Promise<Account[]> {
    const descending = query.sort.startsWith('-');
    const column = SORT_COLUMNS[descending ? query.sort.slice(1) : query.sort]!;
    const direction = descending ? 'desc' : 'asc';
    const select = this.db<AccountRow>('accounts').select('*');
    if (query.status) select.where('status', query.status);
    if (query.search) {
      const pattern = `%${escapeLikePattern(query.search)}%`;
      const search = query.search;
      select.where((where) => {
        where.whereRaw(`name ILIKE ? ESCAPE '\\'`, [pattern]);
        // a login prefix: logins are numbers, so only digits can start one
        if (/^\d+$/.test(search)) where.orWhereRaw(`login::text LIKE ?`, [`${search}%`]);
      });
    }
    // names are optional: accounts without one come last either way
    select.orderByRaw(`${column} ${direction} NULLS LAST, login ${direction}`).offset(query.offset).limit(query.limit);
    return (await select).map(toAccount);
  }

  /** The account after the change and the status it had before; undefined when there is no such account. */
  async setStatus(
    login: bigint,
    status: Account['status'],
  ): Promise<{ account: Account; previous: Account['status'] } | undefined> {
    const { rows } = await this.db.raw<{ rows: Array<AccountRow & { previous_status: Account['status'] }> }>(
      `UPDATE accounts AS account SET status = ?, updated_at = now()
         FROM (SELECT login, status FROM accounts WHERE login = ? FOR UPDATE) AS before
        WHERE account.login = before.login
        RETURNING account.*, before.status AS previous_status`,
      [status, login.toString()],
    );
    return rows[0] ? { account: toAccount(rows[0]), previous: rows[0].previous_status } : undefined;
  }

  /** Runs `work` in one transaction, with a store bound to it and the transaction itself (for the audit row). */
  transaction<T>(work: (store: AccountStore, trx: Database) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(new AccountStore(trx), trx));
  }
}

/** `%`, `_` and `\` match themselves in a LIKE pattern (with ESCAPE '\'), so a search is what was typed. */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
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
