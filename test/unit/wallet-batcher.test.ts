import { UnavailableError } from '../../src/shared/errors';
import { WALLET_BATCH_SIZE_MAX, WALLET_LANE_QUEUE_MAX, WalletBatcher } from '../../src/wallet/wallet-batcher';

/** A fake engine: records each batch, answers `value * 10`, and lets the test decide when a batch ends. */
function fakeEngine(options: { failOn?: number; unavailable?: boolean } = {}) {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const execute = (operations: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push(operations);
      releases.push(() => {
        if (options.unavailable) reject(new UnavailableError('down'));
        else if (options.failOn !== undefined && operations.includes(options.failOn)) reject(new Error(`bad ${options.failOn}`));
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

describe('WalletBatcher', () => {
  it('runs a lone request at once, alone', async () => {
    const engine = fakeEngine();
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const answer = batcher.submit(7);
    expect(engine.batches).toEqual([[7]]);
    await engine.releaseAll();
    await expect(answer).resolves.toBe(70);
  });

  it('coalesces what arrives while a lane is busy into the next transaction, in arrival order', async () => {
    const engine = fakeEngine();
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const answers = [1, 2, 3, 4].map((value) => batcher.submit(value));
    expect(engine.batches).toEqual([[1]]);
    await engine.releaseAll();
    expect(engine.batches).toEqual([[1], [2, 3, 4]]);
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40]);
  });

  it('keeps lanes apart: another key does not wait for a busy lane', () => {
    const engine = fakeEngine();
    const batcher = new WalletBatcher(engine.execute, (value: number) => value);
    void batcher.submit(1);
    void batcher.submit(2);
    expect(engine.batches).toEqual([[1], [2]]);
  });

  it('caps a batch at WALLET_BATCH_SIZE_MAX requests', async () => {
    const engine = fakeEngine();
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const answers = Array.from({ length: WALLET_BATCH_SIZE_MAX + 2 }, (_, i) => batcher.submit(i));
    await engine.releaseAll();
    expect(engine.batches.map((batch) => batch.length)).toEqual([1, WALLET_BATCH_SIZE_MAX, 1]);
    expect((await Promise.all(answers)).at(-1)).toBe((WALLET_BATCH_SIZE_MAX + 1) * 10);
  });

  it('retries a failed batch one by one, so that only the request at fault fails', async () => {
    const engine = fakeEngine({ failOn: 3 });
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const answers = [1, 2, 3, 4].map((value) => batcher.submit(value).catch((error: Error) => error.message));
    await engine.releaseAll();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 'bad 3', 40]);
    expect(engine.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('fails a whole batch at once when the database is unavailable', async () => {
    const engine = fakeEngine({ unavailable: true });
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const answers = [1, 2, 3].map((value) => batcher.submit(value).catch((error: Error) => error.name));
    await engine.releaseAll();
    await expect(Promise.all(answers)).resolves.toEqual(['UnavailableError', 'UnavailableError', 'UnavailableError']);
    expect(engine.batches).toHaveLength(2);
  });

  it('refuses requests beyond the lane queue limit as transient', async () => {
    const engine = fakeEngine();
    const batcher = new WalletBatcher(engine.execute, () => 0);
    const queued = Array.from({ length: WALLET_LANE_QUEUE_MAX + 1 }, (_, i) => batcher.submit(i));
    await expect(batcher.submit(-1)).rejects.toBeInstanceOf(UnavailableError);
    await engine.releaseAll();
    await Promise.all(queued);
  });
});
