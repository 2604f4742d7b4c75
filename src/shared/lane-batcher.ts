/** What becomes of the requests when a whole batch fails. */
export type BatchFailure =
  /** Every request of the batch gets the error (it is the same for all, e.g. the database is away). */
  | 'reject-batch'
  /** The batch's requests and everything queued in its lane get the error (they would meet the same fate). */
  | 'reject-lane'
  /** Each request runs again alone, so that only the request at fault gets the error. */
  | 'split';

export interface LaneBatcherOptions<Op, Result> {
  /** Runs one batch (one database transaction): one result per request, in order. */
  execute: (operations: Op[]) => Promise<Result[]>;
  /** The lane of a request. A lane runs one batch at a time, its requests in arrival order. */
  laneOf: (operation: Op) => string | number | bigint;
  /** Requests taken into one batch, at most. */
  batchSizeMax: number;
  /** Whether a queued request may join a batch that starts with `first` (by default, any may). */
  joins?: (first: Op, next: Op) => boolean;
  /** Requests waiting in one lane, at most; beyond, the request is refused with `overloaded()`. */
  queueLengthMax: number;
  overloaded: () => Error;
  onFailure: (error: unknown) => BatchFailure;
  onBatch?: (size: number) => void;
}

interface Pending<Op, Result> {
  operation: Op;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

type Lane<Op, Result> = Pending<Op, Result>[];

/**
 * Coalesces concurrent requests into few transactions (TigerBeetle's batching, Blnk's coalescing of
 * a hot balance). Requests are spread over lanes by a key; a lane runs one batch at a time and takes
 * everything queued meanwhile into the next one. Under light load a request runs at once, alone;
 * under heavy load one lock, one round trip and one commit serve a whole batch.
 *
 * Every request keeps its own answer: the engine returns one result per request, and a refusal is a
 * result, not an error. Lanes exist while they have work (a lane per account costs nothing idle).
 */
export class LaneBatcher<Op, Result> {
  /** Lanes with a batch in flight, and the requests queued behind it. */
  private readonly lanes = new Map<string | number | bigint, Lane<Op, Result>>();

  constructor(private readonly options: LaneBatcherOptions<Op, Result>) {}

  submit(operation: Op): Promise<Result> {
    const key = this.options.laneOf(operation);
    const queue = this.lanes.get(key);
    if (queue && queue.length >= this.options.queueLengthMax) return Promise.reject(this.options.overloaded());
    return new Promise<Result>((resolve, reject) => {
      const pending = { operation, resolve, reject };
      if (queue) {
        queue.push(pending);
        return;
      }
      const lane: Lane<Op, Result> = [pending];
      this.lanes.set(key, lane);
      void this.drain(key, lane);
    });
  }

  /** Requests waiting or running in all lanes. */
  get size(): number {
    let size = 0;
    for (const lane of this.lanes.values()) size += lane.length;
    return size;
  }

  private async drain(key: string | number | bigint, lane: Lane<Op, Result>): Promise<void> {
    while (lane.length > 0) {
      const batch = lane.splice(0, this.batchLength(lane));
      this.options.onBatch?.(batch.length);
      const failure = await this.run(batch);
      if (failure) for (const pending of lane.splice(0)) pending.reject(failure.error);
    }
    this.lanes.delete(key);
  }

  /** How many of the lane's first requests go into its next batch. */
  private batchLength(lane: Lane<Op, Result>): number {
    const { joins, batchSizeMax } = this.options;
    const limit = Math.min(lane.length, batchSizeMax);
    if (!joins) return limit;
    let length = 1;
    while (length < limit && joins(lane[0]!.operation, lane[length]!.operation)) length += 1;
    return length;
  }

  /** Runs a batch; returns the error that the requests queued behind it must get too, if any. */
  private async run(batch: Pending<Op, Result>[]): Promise<{ error: unknown } | undefined> {
    let results: Result[];
    try {
      results = await this.options.execute(batch.map((pending) => pending.operation));
    } catch (error) {
      const failure = this.options.onFailure(error);
      if (failure === 'split' && batch.length > 1) {
        for (const [index, pending] of batch.entries()) {
          const laneFailure = await this.run([pending]);
          if (laneFailure) {
            for (const rest of batch.slice(index + 1)) rest.reject(laneFailure.error);
            return laneFailure;
          }
        }
        return undefined;
      }
      for (const pending of batch) pending.reject(error);
      return failure === 'reject-lane' ? { error } : undefined;
    }
    if (results.length !== batch.length) {
      const error = new Error(`a batch of ${batch.length} requests answered ${results.length} results`);
      for (const pending of batch) pending.reject(error);
      return undefined;
    }
    batch.forEach((pending, index) => pending.resolve(results[index]!));
    return undefined;
  }
}

/**
 * Runs `execute` on the operations `claimed` answers undefined for; the others get its answer
 * without running. A service uses it to send the operations of an account that already has work
 * waiting for its lock straight after that work (their order), instead of letting them overtake it
 * in the next batch once the lock is free.
 */
export async function executeUnclaimed<Op, Result>(
  operations: readonly Op[],
  claimed: (operation: Op) => Result | undefined,
  execute: (operations: Op[]) => Promise<Result[]>,
): Promise<Result[]> {
  const answers = operations.map(claimed);
  const free = operations.filter((_operation, index) => answers[index] === undefined);
  const results = free.length > 0 ? await execute(free) : [];
  let next = 0;
  return answers.map((answer) => answer ?? results[next++]!);
}
