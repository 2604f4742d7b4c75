import type { Database } from '../../db/database';
import { NONCE_RETENTION_S } from '../wallet/wallet-service';

/** Rows deleted per statement, so that a large backlog never holds locks for long. */
export const PRUNE_BATCH_ROWS_MAX = 10_000;
/** Expired launch and wallet tokens are kept this long after expiry (seconds), for investigations. */
export const EXPIRED_TOKEN_RETENTION_S = 7 * 86400;

export interface PruneCounts {
  nonces: number;
  launchTokens: number;
  walletTokens: number;
}

/** Deletes what only grows and is no longer needed: old nonces and long-expired tokens. */
export class MaintenanceStore {
  constructor(private readonly db: Database) {}

  /** Runs `work` only if no other instance holds the lock; returns undefined when it was busy. */
  async exclusively<T>(lockKey: number, work: () => Promise<T>): Promise<T | undefined> {
    return this.db.transaction(async (trx) => {
      const { rows } = await trx.raw<{ rows: { locked: boolean }[] }>('SELECT pg_try_advisory_xact_lock(?) AS locked', [
        lockKey,
      ]);
      return rows[0]!.locked ? work() : undefined;
    });
  }

  async prune(): Promise<PruneCounts> {
    return {
      nonces: await this.deleteOlderThan('wallet_nonces', 'seen_at', NONCE_RETENTION_S),
      launchTokens: await this.deleteOlderThan('launch_tokens', 'expires_at', EXPIRED_TOKEN_RETENTION_S),
      walletTokens: await this.deleteOlderThan('wallet_tokens', 'expires_at', EXPIRED_TOKEN_RETENTION_S),
    };
  }

  private async deleteOlderThan(table: string, column: string, ageS: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.db.raw<{ rowCount: number }>(
        `DELETE FROM ?? WHERE ctid IN (SELECT ctid FROM ?? WHERE ?? < now() - make_interval(secs => ?) LIMIT ?)`,
        [table, table, column, ageS, PRUNE_BATCH_ROWS_MAX],
      );
      total += rowCount;
      if (rowCount < PRUNE_BATCH_ROWS_MAX) return total;
    }
  }
}
