import { UnavailableError } from '../shared/errors';

/** Requests executed together in one database transaction, at most. */
export const WALLET_BATCH_SIZE_MAX = 256;
/** Lanes of one instance; each has at most one transaction in flight. */
export const WALLET_LANES = 2;
/** Requests waiting in one lane, at most; beyond, a request is refused as transient (HTTP 503). */
export const WALLET_LANE_QUEUE_MAX = 4096;

interface Pending<Op, Result> {
  operation: Op;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface Lane<Op, Result> {
  queue: Pending<Op, Result>[];
  busy: boolean;
}

/**
 * Coalesces concurrent wallet requests into few transactions (TigerBeetle's batching, Blnk's
 * coalescing of a hot balance). Requests are spread over lanes by a key (the token: one user's
 * requests always share a lane, in arrival order); a lane runs one transaction at a time and takes
 * everything queued meanwhile into the next one. Under light load a request runs at once, alone;
 * under heavy load one lock, one round trip and one commit serve a whole batch, which is how a hot
 * account gets past the row-lock limit.
 *
 * Every request keeps its own answer: the engine returns one result per request, and a refusal is a
 * result, not an error. If a batch fails as a whole (other than transiently), its requests are
 * retried one by one, so that only the request at fault gets the error.
 */
export class WalletBatcher<Op, Result> {
  private readonly lanes: Lane<Op, Result>[] = Array.from({ length: WALLET_LANES }, () => ({ queue: [], busy: false }));

  constructor(
    private readonly execute: (operations: Op[]) => Promise<Result[]>,
    private readonly laneKey: (operation: Op) => number,
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {}

  submit(operation: Op): Promise<Result> {
    const lane = this.lanes[Math.abs(this.laneKey(operation)) % WALLET_LANES]!;
    if (lane.queue.length >= WALLET_LANE_QUEUE_MAX) {
      return Promise.reject(new UnavailableError('the wallet is overloaded, retry later'));
    }
    return new Promise<Result>((resolve, reject) => {
      lane.queue.push({ operation, resolve, reject });
      if (!lane.busy) void this.drain(lane);
    });
  }

  private async drain(lane: Lane<Op, Result>): Promise<void> {
    lane.busy = true;
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, WALLET_BATCH_SIZE_MAX);
        this.onBatch(batch.length);
        await this.run(batch);
      }
    } finally {
      lane.busy = false;
    }
  }

  private async run(batch: Pending<Op, Result>[]): Promise<void> {
    let results: Result[];
    try {
      results = await this.execute(batch.map((pending) => pending.operation));
    } catch (error) {
      // A transient failure (database away) fails every request alike: no point in splitting.
      if (batch.length === 1 || error instanceof UnavailableError) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      for (const pending of batch) await this.run([pending]);
      return;
    }
    batch.forEach((pending, index) => pending.resolve(results[index]!));
  }
}
