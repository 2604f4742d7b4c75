import { TestApi, useTestService } from '../../support/api';
import type { TestService } from '../../support/test-service';
import { randomBytes } from 'node:crypto';
import { signV2 } from '@wallet-service/client';
import { RUN_HISTORY_RETENTION_DAYS } from '../../../src/core/reconciliation/run-history-store';
import { SIGNATURE_CLOCK_SKEW_MAX_S } from '../../../src/transports/wallet-api/wallet-signature';
import { TEST_WALLET_SECRET } from '../../support/test-service';

let target: TestService;
let api: TestApi;

useTestService((started) => ({ target, api } = started));

describe('maintenance', () => {
  it('prunes nonces past the replay window and long-expired tokens, and keeps the rest', async () => {
    const { token } = await api.player('1');
    await api.wallet.call('getbalance', { token, currency: 'USD' });
    await target.sql.query(
      `INSERT INTO wallet_nonces (nonce, seen_at) VALUES ('${'a'.repeat(32)}', now() - interval '181 seconds')`,
    );
    await target.sql.query(`UPDATE launch_tokens SET expires_at = now() - interval '8 days'`);
    const count = async (table: string) =>
      (await target.sql.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
    const [nonces, launchTokens, walletTokens] = [
      await count('wallet_nonces'),
      await count('launch_tokens'),
      await count('wallet_tokens'),
    ];
    await target.service.core.maintenance.runOnce();
    expect(await count('wallet_nonces')).toBe(nonces - 1);
    expect(await count('launch_tokens')).toBe(launchTokens - 1);
    expect(await count('wallet_tokens')).toBe(walletTokens);
    expect(await api.wallet.call('getbalance', { token, currency: 'USD' })).toMatchObject({ status: 'Ok' });
  });

  it('keeps a nonce while its signed request is still valid: twice the clock skew after it was first seen', async () => {
    const { token } = await api.player('1');
    // a platform whose clock is ahead by almost the whole skew: its request stays valid for almost
    // twice the skew after we first see it, and a replay within that time must still be refused
    const body = JSON.stringify({ token, currency: 'USD' });
    const nonce = randomBytes(16).toString('hex');
    const headers = signV2(
      TEST_WALLET_SECRET,
      'POST',
      '/wallet/getbalance',
      body,
      Math.floor(Date.now() / 1000) + SIGNATURE_CLOCK_SKEW_MAX_S - 1,
      nonce,
    );
    const send = async () =>
      ((await api.http.request('POST', '/wallet/getbalance', body, headers)).body as { status: string }).status;
    expect(await send()).toBe('Ok');
    // as if almost twice the skew had passed since: the request is still inside its window
    await target.sql.query(`UPDATE wallet_nonces SET seen_at = now() - make_interval(secs => $2) WHERE nonce = $1`, [
      nonce,
      2 * SIGNATURE_CLOCK_SKEW_MAX_S - 2,
    ]);
    await target.service.core.maintenance.runOnce();
    expect(await send()).toBe('InvalidDigest');
  });

  it('forgets reconciliation runs and dry-run matches past the retention, items first, and keeps applied matches', async () => {
    const csv = 'reference,amount,currency,date\nnowhere-1,1.00,USD,2026-11-30\n';
    const match = (dryRun: boolean) =>
      api.http.request('POST', `/admin/reconciliation/match?dryRun=${dryRun}`, csv, {
        Authorization: `Bearer ${target.config.adminApiKey}`,
        'Content-Type': 'text/csv',
      });
    expect((await api.admin('GET', '/admin/reconciliation')).status).toBe(200);
    expect((await match(true)).status).toBe(200);
    expect((await match(false)).status).toBe(200);
    const runs = async () =>
      (await target.sql.query(`SELECT kind, dry_run FROM reconciliation_runs ORDER BY id`)).rows as Array<{
        kind: string;
        dry_run: boolean | null;
      }>;
    const before = await runs();
    await target.sql.query(
      `UPDATE reconciliation_runs SET created_at = now() - make_interval(days => ${RUN_HISTORY_RETENTION_DAYS + 1})`,
    );
    await target.service.core.maintenance.runOnce();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(await runs()).toEqual([{ kind: 'match', dry_run: false }]);
    const orphanItems = await target.sql.query(
      `SELECT count(*)::int AS n FROM reconciliation_matches WHERE run_id NOT IN (SELECT id FROM reconciliation_runs)`,
    );
    expect(orphanItems.rows[0].n).toBe(0);
  });
});
