import { DeferredResponses, TooManyWaitersError, type DeferredKey } from './deferred-responses';
import type { SyncTimeout } from '../../core/balance-operations/sync-timeout-store';
import type { Logger } from '../../observability/logger';
import { protocolErrorAnswer, syncTimeoutAnswer, type ManagerAnswer } from './manager-errors';

/** What a Sync command's handler returns instead of an answer (the seeds' `__deferred`). */
export interface Deferral {
  key: DeferredKey;
  /**
   * The work that produces the event, started once the waiter is registered (so that the event
   * cannot be missed). It resolves with the order once known (the event will answer), or with data
   * that answers at once because no event will come (a replay answers its first outcome).
   */
  run: () => Promise<{ order: bigint } | { answerJson: string }>;
}


/** How a Sync command ended: its answer, its own error, or nobody left to answer (connection closed). */
export type SyncOutcome = { answer: ManagerAnswer } | { error: unknown } | { dropped: true };

export interface SyncCommandsDeps {
  timeoutMs: number;
  waitersPerConnectionMax: number;
  /** Resolves once every event committed from now on will reach `deliver`; returns the release. */
  acquireEvents: () => Promise<() => void>;
  recordTimeout: (timeout: SyncTimeout) => Promise<void>;
  onWaitersChange: (count: number) => void;
  logger: Logger;
}

/**
 * The orchestration of Sync commands: register the waiter keyed by the command's own id, run the
 * work, and settle with the event that this command's transaction wrote (never another command's),
 * with the command's own refusal, or with SYNC_TIMEOUT. The TCP server only frames what comes out.
 */
export class SyncCommands {
  private readonly waiters: DeferredResponses;

  constructor(private readonly deps: SyncCommandsDeps) {
    this.waiters = new DeferredResponses(deps.waitersPerConnectionMax, deps.onWaitersChange);
  }

  async run(connectionId: number, extID: string, command: string, managerLogin: bigint | null, deferral: Deferral): Promise<SyncOutcome> {
    const release = await this.deps.acquireEvents();
    try {
      return await new Promise<SyncOutcome>((settle) => {
        let waiter;
        try {
          waiter = this.waiters.register(connectionId, extID, deferral.key, this.deps.timeoutMs, {
            resolve: (dataJson) => settle({ answer: { status: 200, dataJson } }),
            reject: (error) => settle({ error }),
            timeout: (key) => {
              this.deps
                .recordTimeout({ order: key.order, command, extID, managerLogin })
                .catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not record a sync timeout'));
              settle({ answer: syncTimeoutAnswer(key.event.split(':')[0]!, key.order) });
            },
            dropped: () => settle({ dropped: true }),
          });
        } catch (error) {
          if (!(error instanceof TooManyWaitersError)) throw error;
          settle({ answer: protocolErrorAnswer('TOO_MANY_REQUESTS', error.message) });
          return;
        }
        const handle = waiter;
        deferral.run().then(
          (done) => {
            if ('answerJson' in done) handle.answer(done.answerJson);
            else handle.setOrder(done.order);
          },
          (error: unknown) => handle.fail(error),
        );
      });
    } finally {
      release();
    }
  }

  /** A broadcast event: answers the Sync command whose transaction wrote it, if one waits here. */
  deliver(event: string, commandId: string | null, dataJson: string): void {
    this.waiters.deliver(event, commandId, dataJson);
  }

  dropConnection(connectionId: number): void {
    this.waiters.dropConnection(connectionId);
  }

  /** Shutdown: every waiter is answered SYNC_TIMEOUT now. */
  expireAll(): void {
    this.waiters.expireAll();
  }
}
