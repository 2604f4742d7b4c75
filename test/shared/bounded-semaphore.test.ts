import { BoundedSemaphore } from '../../src/shared/bounded-semaphore';

/** A task that runs until its `finish` is called, recording when it started. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return { task: () => (started.push(name), done), finish, fail };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedSemaphore', () => {
  it('runs at most inFlightMax tasks at once, the waiting ones in arrival order, and refuses beyond waitingMax', async () => {
    const semaphore = new BoundedSemaphore(2, 2, () => new Error('refused'));
    const started: string[] = [];
    const gates = ['a', 'b', 'c', 'd'].map((name) => gate(started, name));
    const settled = Promise.allSettled(gates.map((g) => semaphore.run(g.task)));
    await flush();
    expect(started).toEqual(['a', 'b']);
    await expect(semaphore.run(async () => 'e')).rejects.toThrow('refused');

    gates[1]!.finish();
    await flush();
    expect(started).toEqual(['a', 'b', 'c']);
    gates[0]!.fail(new Error('a failed')); // a failed task frees its slot too
    await flush();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    gates[2]!.finish();
    gates[3]!.finish();
    await expect(settled).resolves.toEqual([
      { status: 'rejected', reason: new Error('a failed') },
      { status: 'fulfilled', value: 'b' },
      { status: 'fulfilled', value: 'c' },
      { status: 'fulfilled', value: 'd' },
    ]);
    // all slots are free again: inFlightMax tasks start at once
    const later = ['f', 'g'].map((name) => gate(started, name));
    const laterResults = later.map((g) => semaphore.run(g.task));
    await flush();
    expect(started.slice(-2)).toEqual(['f', 'g']);
    later.forEach((g) => g.finish());
    await expect(Promise.all(laterResults)).resolves.toEqual(['f', 'g']);
  });
});
