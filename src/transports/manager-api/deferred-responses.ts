/**
 * The generic deferred response of the manager API (docs/manager-api.md#sync-commands): a command
 * that answers only when an event is broadcast registers a waiter, keyed by its command id (which its
 * own transaction writes on the event it produces), with its extID, connection, event channel and
 * the order it is about. Only that event answers it: never an event of another command on the same
 * order. It knows nothing about balances; any future `...Sync` command reuses it.
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

export interface WaiterCallbacks {
  /** The command's own event arrived (its data, JSON text), or data that answers it without an event. */
  resolve(dataJson: string): void;
  /** The work failed before producing the event: answer with the error. */
  reject(error: unknown): void;
  /** No event within the timeout. */
  timeout(key: DeferredKey): void;
  /** The connection closed: nobody to answer any more. */
  dropped(): void;
}

export interface WaiterHandle {
  /** Answers now with this data (JSON text) instead of waiting (a replay: no event will come). */
  answer(dataJson: string): void;
  /** Answers now with this error. */
  fail(error: unknown): void;
  /** The order turned out to be another one (an update naming an order that does not exist). */
  setOrder(order: bigint): void;
}

interface Waiter {
  connectionId: number;
  extID: string;
  key: DeferredKey;
  timer: NodeJS.Timeout;
  callbacks: WaiterCallbacks;
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

  /** Registers a waiter; returns the handle with which the work answers early or fails. */
  register(connectionId: number, extID: string, key: DeferredKey, timeoutMs: number, callbacks: WaiterCallbacks): WaiterHandle {
    if (this.byCommand.has(key.commandId)) throw new Error(`command ${key.commandId} already waits`);
    const ofConnection = this.byConnection.get(connectionId) ?? new Set<Waiter>();
    if (ofConnection.size >= this.waitersPerConnectionMax) {
      throw new TooManyWaitersError(`at most ${this.waitersPerConnectionMax} sync commands may wait per connection`);
    }
    const waiter: Waiter = {
      connectionId,
      extID,
      key: { ...key },
      callbacks,
      timer: setTimeout(() => {
        if (this.remove(waiter)) callbacks.timeout(waiter.key);
      }, timeoutMs),
    };
    ofConnection.add(waiter);
    this.byConnection.set(connectionId, ofConnection);
    this.byCommand.set(key.commandId, waiter);
    this.onCountChange(this.byCommand.size);
    return {
      answer: (dataJson) => {
        if (this.remove(waiter)) callbacks.resolve(dataJson);
      },
      fail: (error) => {
        if (this.remove(waiter)) callbacks.reject(error);
      },
      setOrder: (order) => {
        waiter.key.order = order;
      },
    };
  }

  /** An event was broadcast: the waiter of the command that wrote it (if any) gets its data. */
  deliver(event: string, commandId: string | null, dataJson: string): boolean {
    if (commandId === null) return false;
    const waiter = this.byCommand.get(commandId);
    if (!waiter || waiter.key.event !== event || !this.remove(waiter)) return false;
    waiter.callbacks.resolve(dataJson);
    return true;
  }

  /** A connection closed: its waiters are dropped without an answer (there is no one to answer). */
  dropConnection(connectionId: number): void {
    for (const waiter of [...(this.byConnection.get(connectionId) ?? [])]) {
      if (this.remove(waiter)) waiter.callbacks.dropped();
    }
  }

  /** Shutdown: every remaining waiter times out now, so that none is left unanswered. */
  expireAll(): void {
    for (const waiter of [...this.byCommand.values()]) if (this.remove(waiter)) waiter.callbacks.timeout(waiter.key);
  }

  private remove(waiter: Waiter): boolean {
    if (this.byCommand.get(waiter.key.commandId) !== waiter) return false;
    this.byCommand.delete(waiter.key.commandId);
    clearTimeout(waiter.timer);
    const ofConnection = this.byConnection.get(waiter.connectionId);
    ofConnection?.delete(waiter);
    if (ofConnection?.size === 0) this.byConnection.delete(waiter.connectionId);
    this.onCountChange(this.byCommand.size);
    return true;
  }
}
