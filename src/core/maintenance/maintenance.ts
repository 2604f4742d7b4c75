import type { Logger } from '../../observability/logger';
import type { MaintenanceStore } from './maintenance-store';

/** How often each instance tries to run the clean-up (one instance at a time does it). */
export const MAINTENANCE_INTERVAL_MS = 60_000;
const MAINTENANCE_LOCK_KEY = 7_340_002;

/**
 * Periodic clean-up of tables that only grow: wallet nonces past the replay window, long-expired
 * tokens, and what each feature prunes of its own (manager and console sessions, old failed
 * logins). The ledger itself is never pruned.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: MaintenanceStore,
    /** Features with tables of their own to prune. */
    private readonly features: ReadonlyArray<{ prune(): Promise<void> }>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= this.store
      .exclusively(MAINTENANCE_LOCK_KEY, async () => {
        const pruned = await this.store.prune();
        for (const feature of this.features) await feature.prune();
        return pruned;
      })
      .then((pruned) => {
        if (pruned) this.logger.debug({ pruned }, 'maintenance done');
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'maintenance failed; retrying later'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
