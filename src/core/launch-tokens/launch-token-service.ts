import type { AccountService } from '../accounts/account-service';
import { AccountDisabledError } from '../../shared/errors';
import { hashToken, newToken } from '../../shared/tokens';
import type { LaunchTokenStore } from './launch-token-store';

/** A launch token is valid this long, and only once (docs/wallet-api.md#launch-tokens). */
export const LAUNCH_TOKEN_TTL_MS = 5 * 60 * 1000;

export class LaunchTokenService {
  constructor(
    private readonly store: LaunchTokenStore,
    private readonly accounts: AccountService,
  ) {}

  async issue(login: bigint): Promise<{ token: string; expiresAt: Date }> {
    const account = await this.accounts.get(login);
    if (account.status !== 'active') throw new AccountDisabledError(`account ${login} is disabled`);
    const token = newToken();
    const expiresAt = await this.store.insert(hashToken(token), login, LAUNCH_TOKEN_TTL_MS);
    return { token, expiresAt };
  }
}
