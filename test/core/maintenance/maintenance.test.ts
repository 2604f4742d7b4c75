import { TestApi, useTestService } from '../../support/api';
import type { TestService } from '../../support/test-service';

let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

describe('maintenance', () => {
  it('prunes nonces past the replay window and long-expired tokens, and keeps the rest', async () => {
    const { token } = await api.player('1');
    await api.wallet.call('getbalance', { token, currency: 'USD' });
    await target.sql.query(`INSERT INTO wallet_nonces (nonce, seen_at) VALUES ('${'a'.repeat(32)}', now() - interval '181 seconds')`);
    await target.sql.query(`UPDATE launch_tokens SET expires_at = now() - interval '8 days'`);
    const count = async (table: string) => (await target.sql.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
    const [nonces, launchTokens, walletTokens] = [await count('wallet_nonces'), await count('launch_tokens'), await count('wallet_tokens')];
    await target.service.core.maintenance.runOnce();
    expect(await count('wallet_nonces')).toBe(nonces - 1);
    expect(await count('launch_tokens')).toBe(launchTokens - 1);
    expect(await count('wallet_tokens')).toBe(walletTokens);
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'Ok' });
  });
});
