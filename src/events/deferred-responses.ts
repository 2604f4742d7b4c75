/**
 * The generic deferred response of the manager API (seed 001, "deferred-response flow"): a command
 * handler returns its normal result plus a deferral marker; the transport registers a waiter keyed
 * by the event it waits for (event, type, order), the request's extID and its connection, and
 * answers only when the matching event is broadcast, or with a timeout. It knows nothing about
 * balances: any future `...Sync` command reuses it by naming the event it waits for.
 */

/** The event a deferred answer waits for. */
export interface DeferredKey {
  event: string;
  type: string;
  order: bigint;
}

/** What a handler adds to its result to defer the answer (the seeds' `__deferred`). */
export interface Deferral {
  key: DeferredKey;
  /**
   * The work that produces the event, started once the waiter is registered (so that the event
   * cannot be missed). It may answer by itself by returning the answer's data (JSON text), when no
   * event will come (a replay of a once-only command).
   */
  run: () => Promise<string | undefined>;
}

export interface WaiterCallbacks {
  /** The matching event arrived: answer with its data. */
  resolve(payloadJson: string): void;
  /** The work failed before producing the event: answer with the error. */
  reject(error: unknown): void;
  /** No event within the timeout. */
  timeout(): void;
  /** The connection closed: nobody to answer any more. */
  dropped(): void;
}

export interface WaiterHandle {
  /** Answers now with this data (JSON text), instead of waiting for the event. */
  answer(payloadJson: string): void;
  /** Answers now with this error. */
  fail(error: unknown): void;
}

interface Waiter {
  connectionId: number;
  extID: string;
  keyText: string;
  timer: NodeJS.Timeout;
  callbacks: WaiterCallbacks;
}

export class TooManyWaitersError extends Error {}

export function deferredKeyText(key: DeferredKey): string {
  return `${key.event}|${key.type}|${key.order}`;
}

export class DeferredResponses {
  private readonly byKey = new Map<string, Waiter[]>();
  private readonly byConnection = new Map<number, Set<Waiter>>();
  private count = 0;

  constructor(
    private readonly waitersPerConnectionMax: number,
    private readonly onCountChange: (count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Registers a waiter; returns a handle that cancels it. */
  register(connectionId: number, extID: string, key: DeferredKey, timeoutMs: number, callbacks: WaiterCallbacks): WaiterHandle {
    const ofConnection = this.byConnection.get(connectionId) ?? new Set<Waiter>();
    if (ofConnection.size >= this.waitersPerConnectionMax) {
      throw new TooManyWaitersError(`at most ${this.waitersPerConnectionMax} sync commands may wait per connection`);
    }
    const keyText = deferredKeyText(key);
    const waiter: Waiter = {
      connectionId,
      extID,
      keyText,
      callbacks,
      timer: setTimeout(() => {
        if (this.remove(waiter)) callbacks.timeout();
      }, timeoutMs),
    };
    ofConnection.add(waiter);
    this.byConnection.set(connectionId, ofConnection);
    const sameKey = this.byKey.get(keyText) ?? [];
    sameKey.push(waiter);
    this.byKey.set(keyText, sameKey);
    this.count += 1;
    this.onCountChange(this.count);
    return {
      answer: (payloadJson) => {
        if (this.remove(waiter)) callbacks.resolve(payloadJson);
      },
      fail: (error) => {
        if (this.remove(waiter)) callbacks.reject(error);
      },
    };
  }

  /** An event was broadcast: the oldest waiter for it (if any) gets its data. */
  deliver(key: DeferredKey, payloadJson: string): boolean {
    const waiter = this.byKey.get(deferredKeyText(key))?.[0];
    if (!waiter || !this.remove(waiter)) return false;
    waiter.callbacks.resolve(payloadJson);
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
    for (const waiters of [...this.byConnection.values()]) {
      for (const waiter of [...waiters]) if (this.remove(waiter)) waiter.callbacks.timeout();
    }
  }

  private remove(waiter: Waiter): boolean {
    const ofConnection = this.byConnection.get(waiter.connectionId);
    if (!ofConnection?.delete(waiter)) return false;
    clearTimeout(waiter.timer);
    if (ofConnection.size === 0) this.byConnection.delete(waiter.connectionId);
    const sameKey = this.byKey.get(waiter.keyText);
    if (sameKey) {
      const index = sameKey.indexOf(waiter);
      if (index !== -1) sameKey.splice(index, 1);
      if (sameKey.length === 0) this.byKey.delete(waiter.keyText);
    }
    this.count -= 1;
    this.onCountChange(this.count);
    return true;
  }
}
