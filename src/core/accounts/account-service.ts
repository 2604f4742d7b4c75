import { CHANGE_ACTIONS, type AuditLog } from '../audit/audit-log';
import { requireCurrency } from '../money/currency';
import { AccountNotFoundError, AlreadyExistsError, ValidationError } from '../../shared/errors';
import { decodeCursor, encodeCursor } from '../../shared/page-cursor';
import { ACCOUNT_SORTS, type Account, type AccountSort, type AccountStore } from './account-store';

/** Accounts whose currency is remembered on an instance (a currency never changes: no staleness). */
export const CURRENCY_CACHE_ENTRIES_MAX = 100_000;

/** Page sizes of account lists, in accounts. */
export const ACCOUNT_PAGE_SIZE_DEFAULT = 50;
export const ACCOUNT_PAGE_SIZE_MAX = 200;
/**
 * How deep a list pages, in accounts: a page is read by offset (any sort, no cursor column to
 * trust), and an offset reads and discards every row before it. Past this, narrow the search.
 */
export const ACCOUNT_LIST_OFFSET_MAX = 10_000;
/** Longest search text, in characters. */
export const ACCOUNT_SEARCH_LENGTH_MAX = 100;

export interface AccountListRequest {
  search?: string | undefined;
  status?: Account['status'] | undefined;
  sort?: AccountSort | undefined;
  /** nextCursor of the previous page; null or absent for the first. */
  cursor?: string | null | undefined;
  limit: number;
}

export interface AccountPage {
  items: Account[];
  /** Opaque cursor of the next page; null on the last one (or at ACCOUNT_LIST_OFFSET_MAX). */
  nextCursor: string | null;
}

export class AccountService {
  private readonly currencies = new Map<bigint, string>();

  constructor(
    private readonly store: AccountStore,
    private readonly audit: AuditLog,
  ) {}

  /** The account's currency code, from memory after the first look-up (it never changes). */
  async currencyOf(login: bigint): Promise<string> {
    const cached = this.currencies.get(login);
    if (cached) return cached;
    const { currency } = await this.get(login);
    if (this.currencies.size >= CURRENCY_CACHE_ENTRIES_MAX) this.currencies.clear();
    this.currencies.set(login, currency);
    return currency;
  }

  /** The currencies of many accounts (a report's logins) in one query; accounts that do not exist are absent. */
  currenciesOf(logins: readonly bigint[]): Promise<Map<string, string>> {
    return logins.length === 0 ? Promise.resolve(new Map()) : this.store.currenciesOf(logins);
  }

  /** Opens the account; the audit log records it, with `actor`, in the same transaction. */
  async create(login: bigint, currency: string, name: string | null, actor: string): Promise<Account> {
    requireCurrency(currency);
    const account = await this.store.transaction(async (store, trx) => {
      const created = await store.insert(login, currency, name);
      if (created)
        await this.audit.record(
          { actor, action: CHANGE_ACTIONS.accountCreate, target: login.toString(), detail: { currency, name } },
          trx,
        );
      return created;
    });
    if (!account) throw new AlreadyExistsError(`account ${login} already exists`, { login: login.toString() });
    return account;
  }

  async get(login: bigint): Promise<Account> {
    const account = await this.store.find(login);
    if (!account) throw new AccountNotFoundError(login);
    return account;
  }

  /** A page of accounts: searched by login prefix or name, filtered by status, in the order asked (login by default). */
  async list(request: AccountListRequest): Promise<AccountPage> {
    const { limit } = request;
    if (!Number.isInteger(limit) || limit < 1 || limit > ACCOUNT_PAGE_SIZE_MAX)
      throw new ValidationError(`limit must be from 1 to ${ACCOUNT_PAGE_SIZE_MAX}`);
    const search = request.search?.trim() ?? '';
    if (search.length > ACCOUNT_SEARCH_LENGTH_MAX)
      throw new ValidationError(`search is longer than ${ACCOUNT_SEARCH_LENGTH_MAX} characters`);
    const sort = request.sort ?? 'login';
    if (!ACCOUNT_SORTS.includes(sort)) throw new ValidationError(`sort must be one of ${ACCOUNT_SORTS.join(', ')}`);
    const offset = request.cursor ? Number(decodeCursor(request.cursor)) : 0;
    if (offset > ACCOUNT_LIST_OFFSET_MAX) throw new ValidationError('cursor is not valid');
    const rows = await this.store.list({
      ...(search ? { search } : {}),
      ...(request.status ? { status: request.status } : {}),
      sort,
      offset,
      limit: limit + 1,
    });
    const next = offset + limit;
    const hasMore = rows.length > limit && next <= ACCOUNT_LIST_OFFSET_MAX;
    return { items: rows.slice(0, limit), nextCursor: hasMore ? encodeCursor(BigInt(next)) : null };
  }

  /**
   * Enables or disables the account; the audit log records it, with `actor` and the status before,
   * in the same transaction (also when it had that status already: the request was made).
   */
  async setStatus(login: bigint, status: Account['status'], actor: string): Promise<Account> {
    const changed = await this.store.transaction(async (store, trx) => {
      const result = await store.setStatus(login, status);
      if (result) {
        const action = status === 'active' ? CHANGE_ACTIONS.accountEnable : CHANGE_ACTIONS.accountDisable;
        await this.audit.record(
          { actor, action, target: login.toString(), detail: { status, previous: result.previous } },
          trx,
        );
      }
      return result;
    });
    if (!changed) throw new AccountNotFoundError(login);
    return changed.account;
  }
}
