import { requireCurrency } from '../money/currency';
import { AccountNotFoundError, AlreadyExistsError } from '../shared/errors';
import type { Account, AccountStore } from './account-store';

export class AccountService {
  constructor(private readonly store: AccountStore) {}

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
