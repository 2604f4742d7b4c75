import { randomUUID } from 'node:crypto';
import { DeferredResponses, TooManyWaitersError, type DeferredKey, type Waiting } from './deferred-responses';
import type { LateOutcome } from '../../core/balance-operations/balance-operation-types';
import type { SyncTimeout } from '../../core/balance-operations/sync-timeout-store';
import type { Logger } from '../../observability/logger';
import { CONNECTION_CLOSED_ANSWER, protocolErrorAnswer, syncTimeoutAnswer, type ManagerAnswer } from './manager-errors';

/** What a Sync command's handler prepares, for `SyncCommands.answer` to run. */
export interface SyncWork {
  /** The channel of the event its transaction writes (`trade:event`). */
  channel: string;
  /** The order a SYNC_TIMEOUT names, decided before the work runs (it resolves for ever). */
  order: bigint;
  /**
   * Runs the command under its own id, which its transaction writes on the event it produces.
   * Resolves with the order it took (the event will answer), and, when no event will come (a
   * replay answers its first outcome), the data that answers it.
   */
  run(commandId: string): Promise<{ order: bigint; answerJson?: string }>;
  /** Records the SYNC_TIMEOUT naming `timeout.order`, so that a retry sent after the 504 finds it. */
  recordTimeout(timeout: SyncTimeout): Promise<void>;
  /** The work ended after its SYNC_TIMEOUT named `order`: records what became of the order. */
  recordLateOutcome(order: bigint, outcome: LateOutcome): Promise<void>;
}

/** Who sent a Sync command: the connection its waiter belongs to, and what its 504 row keeps. */
export interface SyncCaller {
  connectionId: number;
  extID: string;
  command: string;
  managerLogin: bigint | null;
}

/** How the work ended, and whether the waiter was still waiting then (false: answered 504 or dropped). */
interface WorkEnd {
  outcome: LateOutcome;
  inTime: boolean;
}

export interface SyncCommandsDeps {
  timeoutMs: number;
  waitersPerConnectionMax: number;
  /** Resolves once every event committed from now on will reach `deliver`; returns the release. */
  acquireEvents: () => Promise<() => void>;
  onWaitersChange: (count: number) => void;
  logger: Logger;
}

/**
 * The orchestration of Sync commands (docs/architecture.md#the-manager-sync-route), in
 * `answerInOrder` from top to bottom: listen, register the waiter keyed by the command's own id, run the work,
 * and answer with the event that this command's transaction wrote (never another command's),
 * with the command's own refusal, or with SYNC_TIMEOUT. A SYNC_TIMEOUT names an order, which must
 * resolve for ever (docs/manager-api.md#looking-up-an-order): the answer is given once the 504 is
 * recorded, and work that ends after it records what became of that order.
 */
export class SyncCommands {
  private readonly waiters: DeferredResponses;
  /** Sync commands being answered, and work that outlived its answer: a stop waits for them. */
  private readonly unfinished = new Set<Promise<unknown>>();

  constructor(private readonly deps: SyncCommandsDeps) {
    this.waiters = new DeferredResponses(deps.waitersPerConnectionMax, deps.onWaitersChange);
  }

  /** A Sync command's answer (its own refusal is thrown, for the transport to map like any error). */
  answer(caller: SyncCaller, work: SyncWork): Promise<ManagerAnswer> {
    return this.track(this.answerInOrder(caller, work));
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
      const untilDeadline = new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref());
      await Promise.race([Promise.allSettled([...this.unfinished]), untilDeadline]);
    }
  }

  /** The route of a Sync command (docs/architecture.md#the-manager-sync-route), step by step. */
  private async answerInOrder(caller: SyncCaller, work: SyncWork): Promise<ManagerAnswer> {
    // 1. from now on every committed event reaches `deliver`: the command's own cannot be missed
    const stopListening = await this.deps.acquireEvents();
    try {
      // 2. a waiter for the event that carries the command's own id, which only its transaction writes
      const commandId = randomUUID();
      const waiting = this.register(caller.connectionId, { event: work.channel, commandId, order: work.order });
      if (waiting instanceof TooManyWaitersError) return protocolErrorAnswer('TOO_MANY_REQUESTS', waiting.message);
      // 3. the work runs: how it ends answers the waiter, unless the wait is over by then
      const workEnded = this.track(this.runWork(work, commandId, waiting));
      // 4. the first end of the wait answers: its own event (or its replay's), its own refusal, nobody...
      const end = await waiting.ended;
      if (end.kind === 'answered') return { status: 200, dataJson: end.dataJson };
      if (end.kind === 'refused') throw end.error;
      if (end.kind === 'dropped') return CONNECTION_CLOSED_ANSWER;
      // 5. ...or the timeout: the 504 is recorded before it is answered (a retry after it finds its order)
      await this.recordTimeout(caller, work, end.order);
      // 6. and what became of the order is recorded once the work ends
      void this.track(this.recordLateOutcome(work, end.order, workEnded));
      return syncTimeoutAnswer(work.channel.split(':')[0]!, end.order);
    } finally {
      stopListening();
    }
  }

  /** A waiter for this key, or the refusal of one more on a connection that has as many as it may. */
  private register(connectionId: number, key: DeferredKey): Waiting | TooManyWaitersError {
    try {
      return this.waiters.register(connectionId, key, this.deps.timeoutMs);
    } catch (error) {
      if (error instanceof TooManyWaitersError) return error;
      throw error;
    }
  }

  /** Runs the command: a plain result waits for its event, a replay's data or a refusal answers now. */
  private async runWork(work: SyncWork, commandId: string, waiting: Waiting): Promise<WorkEnd> {
    let done: { order: bigint; answerJson?: string };
    try {
      done = await work.run(commandId);
    } catch (error) {
      return { outcome: { error }, inTime: waiting.fail(error) };
    }
    const inTime = done.answerJson === undefined ? waiting.setOrder(done.order) : waiting.answer(done.answerJson);
    return { outcome: { orderNo: done.order }, inTime };
  }

  private async recordTimeout(caller: SyncCaller, work: SyncWork, order: bigint): Promise<void> {
    const { command, extID, managerLogin } = caller;
    try {
      await work.recordTimeout({ order, command, extID, managerLogin });
    } catch (error) {
      this.deps.logger.error({ err: error, order: order.toString() }, 'could not record a sync timeout');
    }
  }

  /** Work that ended after the 504 (not before it, waiting for an event that came too late). */
  private async recordLateOutcome(work: SyncWork, order: bigint, workEnded: Promise<WorkEnd>): Promise<void> {
    const { outcome, inTime } = await workEnded;
    if (inTime) return;
    try {
      await work.recordLateOutcome(order, outcome);
    } catch (error) {
      const message = 'could not record what became of an order named in a sync timeout';
      this.deps.logger.error({ err: error, order: order.toString() }, message);
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.unfinished.add(work);
    void work.finally(() => this.unfinished.delete(work)).catch(() => undefined);
    return work;
  }
}
