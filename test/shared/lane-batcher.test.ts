import { AccountBusyError, UnavailableError } from '../../src/shared/errors';
import { executeUnclaimed, LaneBatcher, type BatchFailure } from '../../src/shared/lane-batcher';

const BATCH_SIZE_MAX = 8;
const QUEUE_LENGTH_MAX = 16;

/** A batcher over the fake engine, with the wallet's failure rule unless told otherwise. */
function batcherOf(
  execute: (operations: number[]) => Promise<number[]>,
  laneOf: (value: number) => number = () => 0,
  onFailure: (error: unknown) => BatchFailure = (error) =>
    error instanceof UnavailableError ? 'reject-batch' : 'split',
) {
  return new LaneBatcher<number, number>({
    execute,
    laneOf,
    batchSizeMax: BATCH_SIZE_MAX,
    queueLengthMax: QUEUE_LENGTH_MAX,
    overloaded: () => new UnavailableError('overloaded'),
    onFailure,
  });
}

/** A fake engine: records each batch, answers `value * 10`, and lets the test decide when a batch ends. */
function fakeEngine(options: { failOn?: number; unavailable?: boolean; busy?: boolean } = {}) {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const execute = (operations: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push(operations);
      releases.push(() => {
        if (options.unavailable) reject(new UnavailableError('down'));
        else if (options.busy) reject(new AccountBusyError('locked'));
        else if (options.failOn !== undefined && operations.includes(options.failOn))
          reject(new Error(`bad ${options.failOn}`));
        else resolve(operations.map((value) => value * 10));
      });
    });
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { batches, execute, releaseAll };
}

describe('LaneBatcher', () => {
  it('runs a lone request at once, alone', async () => {
    const engine = fakeEngine();
    const batcher = batcherOf(engine.execute);
    const answer = batcher.submit(7);
    expect(engine.batches).toEqual([[7]]);
    await engine.releaseAll();
    await expect(answer).resolves.toBe(70);
  });

  it('coalesces what arrives while a lane is busy into the next transaction, in arrival order', async () => {
    const engine = fakeEngine();
    const batcher = batcherOf(engine.execute);
    const answers = [1, 2, 3, 4].map((value) => batcher.submit(value));
    expect(engine.batches).toEqual([[1]]);
    await engine.releaseAll();
    expect(engine.batches).toEqual([[1], [2, 3, 4]]);
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40]);
  });

  it('keeps lanes apart: another key does not wait for a busy lane', () => {
    const engine = fakeEngine();
    const batcher = batcherOf(engine.execute, (value) => value);
    void batcher.submit(1);
    void batcher.submit(2);
    expect(engine.batches).toEqual([[1], [2]]);
  });

  it('caps a batch at its batch size', async () => {
    const engine = fakeEngine();
    const batcher = batcherOf(engine.execute);
    const answers = Array.from({ length: BATCH_SIZE_MAX + 2 }, (_, i) => batcher.submit(i));
    await engine.releaseAll();
    expect(engine.batches.map((batch) => batch.length)).toEqual([1, BATCH_SIZE_MAX, 1]);
    expect((await Promise.all(answers)).at(-1)).toBe((BATCH_SIZE_MAX + 1) * 10);
  });

  it('retries a failed batch one by one, so that only the request at fault fails', async () => {
    const engine = fakeEngine({ failOn: 3 });
    const batcher = batcherOf(engine.execute);
    const answers = [1, 2, 3, 4].map((value) => batcher.submit(value).catch((error: Error) => error.message));
    await engine.releaseAll();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 'bad 3', 40]);
    expect(engine.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('fails a whole batch at once when the database is unavailable', async () => {
    const engine = fakeEngine({ unavailable: true });
    const batcher = batcherOf(engine.execute);
    const answers = [1, 2, 3].map((value) => batcher.submit(value).catch((error: Error) => error.name));
    await engine.releaseAll();
    await expect(Promise.all(answers)).resolves.toEqual(['UnavailableError', 'UnavailableError', 'UnavailableError']);
    expect(engine.batches).toHaveLength(2);
  });

  it('refuses requests beyond the lane queue limit as transient', async () => {
    const engine = fakeEngine();
    const batcher = batcherOf(engine.execute);
    const queued = Array.from({ length: QUEUE_LENGTH_MAX + 1 }, (_, i) => batcher.submit(i));
    await expect(batcher.submit(-1)).rejects.toBeInstanceOf(UnavailableError);
    await engine.releaseAll();
    await Promise.all(queued);
  });

  it('fails the requests queued behind a lock that did not come, at once, and keeps other lanes going', async () => {
    const engine = fakeEngine({ busy: true });
    const batcher = batcherOf(
      engine.execute,
      (value) => (value < 100 ? 0 : 1),
      (error) => (error instanceof AccountBusyError ? 'reject-lane' : 'split'),
    );
    const stuck = [1, 2, 3].map((value) => batcher.submit(value).catch((error: Error) => error.name));
    await engine.releaseAll();
    await expect(Promise.all(stuck)).resolves.toEqual(['AccountBusyError', 'AccountBusyError', 'AccountBusyError']);
    // one attempt for the lane, not one lock timeout after another
    expect(engine.batches).toEqual([[1]]);
    expect(batcher.size).toBe(0);
  });

  it('keeps a batch that failed as a whole apart from the requests of other lanes', async () => {
    const engine = fakeEngine({ failOn: 3 });
    const batcher = batcherOf(engine.execute, (value) => value % 2);
    const answers = [1, 2, 3, 4].map((value) => batcher.submit(value).catch((error: Error) => error.message));
    await engine.releaseAll();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 'bad 3', 40]);
  });

  it('takes into one batch only the queued requests that join its first one', async () => {
    const engine = fakeEngine();
    const batcher = new LaneBatcher<number, number>({
      execute: engine.execute,
      laneOf: () => 0,
      joins: (first, next) => first % 2 === 0 && next % 2 === 0,
      batchSizeMax: BATCH_SIZE_MAX,
      queueLengthMax: QUEUE_LENGTH_MAX,
      overloaded: () => new UnavailableError('overloaded'),
      onFailure: () => 'split',
    });
    const answers = [1, 2, 4, 6, 3, 8].map((value) => batcher.submit(value));
    await engine.releaseAll();
    expect(engine.batches).toEqual([[1], [2, 4, 6], [3], [8]]);
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 40, 60, 30, 80]);
  });
});

describe('executeUnclaimed', () => {
  it('runs only the unclaimed operations, in order, and answers each in its place', async () => {
    const ran: number[][] = [];
    const answers = await executeUnclaimed(
      [1, 2, 3, 4, 5],
      (value) => (value % 2 === 0 ? `claimed ${value}` : undefined),
      async (values) => {
        ran.push(values);
        return values.map((value) => `ran ${value}`);
      },
    );
    expect(answers).toEqual(['ran 1', 'claimed 2', 'ran 3', 'claimed 4', 'ran 5']);
    expect(ran).toEqual([[1, 3, 5]]);
  });

  it('runs nothing when every operation is claimed', async () => {
    const execute = jest.fn(async (values: number[]) => values.map(String));
    expect(await executeUnclaimed([1, 2], (value) => `claimed ${value}`, execute)).toEqual(['claimed 1', 'claimed 2']);
    expect(execute).not.toHaveBeenCalled();
  });
});
