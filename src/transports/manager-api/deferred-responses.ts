/**
 * The generic deferred response of the manager API (docs/manager-api.md#sync-commands): a command
 * that answers only when an event is broadcast registers a waiter, keyed by its command id (which its
 * own transaction writes on the event it produces), with its connection, event channel and the
 * order it is about. Only that event answers it: never an event of another command on the same
 * order. It knows nothing about balances; any future `...Sync` command reuses it. The order of a
 * Sync command's steps is in sync-commands.ts.
 */

/** What a deferred answer waits for. */
export interface DeferredKey {
  /** The event channel (`trade:event`). */
  event: string;
  /** The command whose transaction writes the event. */
  commandId: string;
  /** The order the command is about, named in a timeout answer. */
  order: bigint;
}

/** How a wait ended: the first of these settles it, and the others find it over. */
export type WaitEnd =
  /** The command's own event arrived (its data, JSON text), or data that answers it without an event. */
  | { kind: 'answered'; dataJson: string }
  /** The work failed before producing the event: answer with the error. */
  | { kind: 'refused'; error: unknown }
  /** No event within the timeout; `order` is the one to name. */
  | { kind: 'timedOut'; order: bigint }
  /** The connection closed: nobody to answer any more. */
  | { kind: 'dropped' };

/** A registered wait. Each method answers false, and does nothing, once the wait is over. */
export interface Waiting {
  /** Settles once, with the first end. */
  readonly ended: Promise<WaitEnd>;
  /** Answers now with this data (JSON text) instead of waiting (a replay: no event will come). */
  answer(dataJson: string): boolean;
  /** Answers now with this error. */
  fail(error: unknown): boolean;
  /** The order turned out to be another one (an update naming an order that does not exist). */
  setOrder(order: bigint): boolean;
}

interface Waiter {
  connectionId: number;
  key: DeferredKey;
  timer: NodeJS.Timeout;
  end: (end: WaitEnd) => void;
}

export class TooManyWaitersError extends Error {}

export class DeferredResponses {
  private readonly byCommand = new Map<string, Waiter>();
  private readonly byConnection = new Map<number, Set<Waiter>>();

  constructor(
    private readonly waitersPerConnectionMax: number,
    private readonly onCountChange: (count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.byCommand.size;
  }

  /** Registers a waiter that times out after `timeoutMs`; TooManyWaitersError beyond the connection's limit. */
  register(connectionId: number, key: DeferredKey, timeoutMs: number): Waiting {
    if (this.byCommand.has(key.commandId)) throw new Error(`command ${key.commandId} already waits`);
    const ofConnection = this.byConnection.get(connectionId) ?? new Set<Waiter>();
    if (ofConnection.size >= this.waitersPerConnectionMax) {
      throw new TooManyWaitersError(`at most ${this.waitersPerConnectionMax} sync commands may wait per connection`);
    }
    let end: (end: WaitEnd) => void = () => undefined;
    const ended = new Promise<WaitEnd>((resolve) => {
      end = resolve;
    });
    const waiter: Waiter = {
      connectionId,
      key: { ...key },
      end,
      timer: setTimeout(() => this.finish(waiter, { kind: 'timedOut', order: waiter.key.order }), timeoutMs),
    };
    ofConnection.add(waiter);
    this.byConnection.set(connectionId, ofConnection);
    this.byCommand.set(key.commandId, waiter);
    this.onCountChange(this.byCommand.size);
    return {
      ended,
      answer: (dataJson) => this.finish(waiter, { kind: 'answered', dataJson }),
      fail: (error) => this.finish(waiter, { kind: 'refused', error }),
      setOrder: (order) => {
        if (!this.isWaiting(waiter)) return false;
        waiter.key.order = order;
        return true;
      },
    };
  }

  /** An event was broadcast: the waiter of the command that wrote it (if any) gets its data. */
  deliver(event: string, commandId: string | null, dataJson: string): boolean {
    if (commandId === null) return false;
    const waiter = this.byCommand.get(commandId);
    if (!waiter || waiter.key.event !== event) return false;
    return this.finish(waiter, { kind: 'answered', dataJson });
  }

  /** A connection closed: its waiters are dropped without an answer (there is no one to answer). */
  dropConnection(connectionId: number): void {
    for (const waiter of [...(this.byConnection.get(connectionId) ?? [])]) this.finish(waiter, { kind: 'dropped' });
  }

  /** Shutdown: every remaining waiter times out now, so that none is left unanswered. */
  expireAll(): void {
    for (const waiter of [...this.byCommand.values()]) {
      this.finish(waiter, { kind: 'timedOut', order: waiter.key.order });
    }
  }

  private isWaiting(waiter: Waiter): boolean {
    return this.byCommand.get(waiter.key.commandId) === waiter;
  }

  /** Ends the wait with `end` unless it is over already; says whether it did. */
  private finish(waiter: Waiter, end: WaitEnd): boolean {
    if (!this.isWaiting(waiter)) return false;
    this.byCommand.delete(waiter.key.commandId);
    clearTimeout(waiter.timer);
    const ofConnection = this.byConnection.get(waiter.connectionId);
    ofConnection?.delete(waiter);
    if (ofConnection?.size === 0) this.byConnection.delete(waiter.connectionId);
    this.onCountChange(this.byCommand.size);
    waiter.end(end);
    return true;
  }
}
