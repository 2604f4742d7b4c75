import { WalletServiceError } from './errors';

/** A subscriber did not read its events: more than its buffer holds were waiting. */
export class EventBufferOverflowError extends WalletServiceError {
  override name = 'EventBufferOverflowError';
}

/**
 * A queue read with `for await`: the producer pushes, one consumer reads in order. Bounded, so that
 * a consumer that stopped reading fails loudly (it has lost events) instead of growing memory.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private ended = false;

  constructor(
    private readonly bufferedMax: number,
    /** Called once when the stream ends, whoever ends it (the consumer's `break`, or the producer). */
    private readonly onEnd: () => void,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    const waiting = this.take();
    if (waiting) {
      waiting.resolve({ value: item, done: false });
      return;
    }
    this.buffered.push(item);
    if (this.buffered.length > this.bufferedMax)
      this.fail(new EventBufferOverflowError(`more than ${this.bufferedMax} events waited to be read`));
  }

  /** Ends the stream with an error: the consumer reads what was buffered, then the error. */
  fail(error: Error): void {
    if (this.ended) return;
    this.finish();
    const waiting = this.take();
    if (waiting) waiting.reject(error);
    else this.failure = error;
  }

  /** Ends the stream: the consumer reads what was buffered, then `done`. */
  end(): void {
    this.finish();
    this.take()?.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined; // thrown once; the stream is done afterwards
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** `break` out of `for await`: the stream ends and stops receiving. */
  return(): Promise<IteratorResult<T>> {
    this.buffered.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }

  private take(): { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | undefined {
    const waiting = this.waiting;
    this.waiting = undefined;
    return waiting;
  }
}
