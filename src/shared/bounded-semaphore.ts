/**
 * At most `inFlightMax` tasks at once, and at most `waitingMax` waiting their turn in arrival order;
 * a task beyond that is refused at once with `refuse()` (so that a flood cannot queue without end).
 */
export class BoundedSemaphore {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly inFlightMax: number,
    private readonly waitingMax: number,
    private readonly refuse: () => Error,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.inFlightMax) {
      if (this.waiting.length >= this.waitingMax) throw this.refuse();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight += 1;
    }
    try {
      return await task();
    } finally {
      // hand the slot straight to the next waiter (inFlight unchanged), or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight -= 1;
    }
  }
}
