import type { Database } from '../../db/database';

/** A Sync command answered SYNC_TIMEOUT. */
export interface SyncTimeout {
  order: bigint;
  command: string;
  extID: string;
  managerLogin: bigint | null;
}

/** Sync commands answered with SYNC_TIMEOUT: exceptions the finance team reviews (reconciliation). */
export class SyncTimeoutStore {
  constructor(private readonly db: Database) {}

  async insert(timeout: SyncTimeout): Promise<void> {
    await this.db('sync_timeouts').insert({
      order_no: timeout.order.toString(),
      command: timeout.command,
      ext_id: timeout.extID,
      manager_login: timeout.managerLogin?.toString() ?? null,
    });
  }
}
