import { DeferredResponses, TooManyWaitersError, type DeferredKey } from './deferred-responses';
import type { LateOutcome } from '../../core/balance-operations/balance-operation-service';
import type { SyncTimeout } from '../../core/balance-operations/sync-timeout-store';
import type { Logger } from '../../observability/logger';
import { protocolErrorAnswer, syncTimeoutAnswer, type ManagerAnswer } from './manager-errors';

/** What a Sync command's handler returns instead of an answer (docs/architecture.md#the-manager-sync-route). */
export interface Deferral {
  key: DeferredKey;
  /**
   * The work that produces the event, started once the waiter is registered (so that the event
   * cannot be missed). It resolves with the order once known (the event will answer), or with data
   * that answers at once because no event will come (a replay answers its first outcome) and the
   * order it answers.
   */
  run: () => Promise<{ order: bigint; answerJson?: string }>;
  /**
   * Records that the command is answered SYNC_TIMEOUT naming `timeout.order`: awaited before the
   * answer, so that a retry sent after the 504 finds the order it named.
   */
  timedOut: (timeout: SyncTimeout) => Promise<void>;
  /** The work ended after the SYNC_TIMEOUT named `order`: records what became of the order. */
  endedLate?: (order: bigint, outcome: LateOutcome) => Promise<void>;
}

/** How a Sync command ended: its answer, its own error, or nobody left to answer (connection closed). */
export type SyncOutcome = { answer: ManagerAnswer } | { error: unknown } | { dropped: true };

export interface SyncCommandsDeps {
  timeoutMs: number;
  waitersPerConnectionMax: number;
  /** Resolves once every event committed from now on will reach `deliver`; returns the release. */
  acquireEvents: () => Promise<() => void>;
  onWaitersChange: (count: number) => void;
  logger: Logger;
}

/**
 * The orchestration of Sync commands: register the waiter keyed by the command's own id, run the
 * work, and settle with the event that this command's transaction wrote (never another command's),
 * with the command's own refusal, or with SYNC_TIMEOUT. A SYNC_TIMEOUT names an order, which must
 * resolve for ever (docs/manager-api.md#looking-up-an-order): the answer is given once the deferral
 * has recorded it, and work that ends after it reports what became of that order. The TCP server
 * only frames what comes out.
 */
export class SyncCommands {
  private readonly waiters: DeferredResponses;
  /** SYNC_TIMEOUT answers being recorded, and work that outlived its answer: a stop waits for them. */
  private readonly unfinished = new Set<Promise<unknown>>();

  constructor(private readonly deps: SyncCommandsDeps) {
    this.waiters = new DeferredResponses(deps.waitersPerConnectionMax, deps.onWaitersChange);
  }

  async run(connectionId: number, extID: string, command: string, managerLogin: bigint | null, deferral: Deferral): Promise<SyncOutcome> {
    const release = await this.deps.acquireEvents();
    try {
      return await new Promise<SyncOutcome>((settle) => {
        /** The order the SYNC_TIMEOUT named, once it was answered (or is being). */
        let namedInTimeout: bigint | undefined;
        let waiter;
        try {
          waiter = this.waiters.register(connectionId, extID, deferral.key, this.deps.timeoutMs, {
            resolve: (dataJson) => settle({ answer: { status: 200, dataJson } }),
            reject: (error) => settle({ error }),
            timeout: (key) => {
              namedInTimeout = key.order;
              const recorded = this.track(
                deferral
                  .timedOut({ order: key.order, command, extID, managerLogin })
                  .catch((error: unknown) => this.deps.logger.error({ err: error, order: key.order.toString() }, 'could not record a sync timeout')),
              );
              void recorded.then(() => settle({ answer: syncTimeoutAnswer(key.event.split(':')[0]!, key.order) }));
            },
            dropped: () => settle({ dropped: true }),
          });
        } catch (error) {
          if (!(error instanceof TooManyWaitersError)) throw error;
          settle({ answer: protocolErrorAnswer('TOO_MANY_REQUESTS', error.message) });
          return;
        }
        const handle = waiter;
        const endedLate = (outcome: LateOutcome) =>
          deferral.endedLate?.(namedInTimeout!, outcome).catch((error: unknown) =>
            this.deps.logger.error({ err: error, order: namedInTimeout!.toString() }, 'could not record what became of an order named in a sync timeout'),
          );
        this.track(
          deferral.run().then(
            async (done) => {
              if (namedInTimeout !== undefined) await endedLate({ orderNo: done.order });
              else if (done.answerJson !== undefined) handle.answer(done.answerJson);
              else handle.setOrder(done.order);
            },
            async (error: unknown) => {
              if (namedInTimeout !== undefined) await endedLate({ error });
              else handle.fail(error);
            },
          ),
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

  /**
   * Shutdown: every waiter is answered SYNC_TIMEOUT now; resolves once those answers are recorded
   * and given, and the work still running (Sync commands answered before) has ended, or at `deadline`.
   */
  async expireAll(deadline: number): Promise<void> {
    this.waiters.expireAll();
    while (this.unfinished.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.unfinished]), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.unfinished.add(work);
    void work.finally(() => this.unfinished.delete(work)).catch(() => undefined);
    return work;
  }
}
