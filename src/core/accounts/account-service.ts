import { requireCurrency } from '../money/currency';
import { AccountNotFoundError, AlreadyExistsError } from '../../shared/errors';
import type { Account, AccountStore } from './account-store';

/** Accounts whose currency is remembered on an instance (a currency never changes: no staleness). */
export const CURRENCY_CACHE_ENTRIES_MAX = 100_000;

export class AccountService {
  private readonly currencies = new Map<bigint, string>();

  constructor(private readonly store: AccountStore) {}

  /** The account's currency code, from memory after the first look-up (it never changes). */
  async currencyOf(login: bigint): Promise<string> {
    const cached = this.currencies.get(login);
    if (cached) return cached;
    const { currency } = await this.get(login);
    if (this.currencies.size >= CURRENCY_CACHE_ENTRIES_MAX) this.currencies.clear();
    this.currencies.set(login, currency);
    return currency;
  }

  async create(login: bigint, currency: string, name: string | null): Promise<Account> {
    requireCurrency(currency);
    const account = await this.store.insert(login, currency, name);
    if (!account) throw new AlreadyExistsError(`account ${login} already exists`, { login: login.toString() });
    return account;
  }

  async get(login: bigint): Promise<Account> {
    const account = await this.store.find(login);
    if (!account) throw new AccountNotFoundError(login);
    return account;
  }

  async setStatus(login: bigint, status: Account['status']): Promise<Account> {
    const account = await this.store.setStatus(login, status);
    if (!account) throw new AccountNotFoundError(login);
    return account;
  }
}
