/**
 * A closed-loop load driver: N workers each run one iteration after another (a pair of requests,
 * for the wallet scenarios) for a warm-up and then a measured window. Closed loop because that is
 * how a trading platform's connection pool behaves: the next request waits for a free connection.
 *
 * Only requests that both start and complete inside the measured window count towards throughput
 * and latency, so warm-up stragglers (JIT, new pool connections, caches) and the drain after the
 * window do not skew results; the at most `workers` requests cut off at the end are negligible.
 * Errors are counted over the whole run, warm-up included: an error is an error.
 */
import { performance } from 'node:perf_hooks';
import { sleep, TimeoutError, withTimeout } from './concurrency';
import { LatencyRecorder, type LatencySummary } from './latency';

/** One request may take this long before it counts as an error (the worker then moves on). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** After the window, workers finish the iteration in flight: at most two timed-out requests, plus slack. */
const DRAIN_TIMEOUT_MS = 2 * REQUEST_TIMEOUT_MS + 5_000;
/** A bound on count as well as time: no worker loops more than this, whatever the clock says. */
const ITERATIONS_PER_WORKER_MAX = 10_000_000;
/** Distinct error texts kept for the report (each with its count); further kinds are lumped together. */
const ERROR_KINDS_MAX = 20;

/** What a finished request was: accepted, refused for lack of funds (a correct answer), or an error. */
export type Verdict = 'ok' | 'insufficient' | { error: string };

export interface LoadOptions {
  workers: number;
  warmupMs: number;
  durationMs: number;
  /** Called when the measured window opens and closes (CPU accounting of bench.ts). */
  window?: WindowObserver;
}

export interface WindowObserver {
  onStart(): void;
  onEnd(): void;
}

export interface LoadResult {
  workers: number;
  durationMs: number;
  requests: number;
  pairs: number;
  insufficientFunds: number;
  errors: number;
  errorKinds: Record<string, number>;
  requestsPerS: number;
  pairsPerS: number;
  latency: LatencySummary;
  /** Latency by kind of request (the `kind` given to LoadMeter.measure), when kinds were given. */
  latencyByKind?: Record<string, LatencySummary>;
}

export interface IterationContext {
  worker: number;
  iteration: number;
  meter: LoadMeter;
}

export class LoadMeter {
  readonly windowStart: number;
  readonly windowEnd: number;
  private readonly latencies = new LatencyRecorder();
  private readonly latenciesByKind = new Map<string, LatencyRecorder>();
  /** Measured time of the slices merged into this meter (a measurement taken in slices: growth). */
  private mergedMs = 0;
  private requests = 0;
  private pairs = 0;
  private insufficientFunds = 0;
  private errors = 0;
  private readonly errorKinds = new Map<string, number>();

  constructor(options: Pick<LoadOptions, 'warmupMs' | 'durationMs'>, startedAt: number) {
    this.windowStart = startedAt + options.warmupMs;
    this.windowEnd = this.windowStart + options.durationMs;
  }

  /**
   * Times one request and classifies its answer; returns the answer, or undefined when it failed.
   * `kind` (e.g. "opentrade") also records the latency under that kind.
   */
  async measure<T>(call: () => Promise<T>, classify: (answer: T) => Verdict, kind?: string): Promise<T | undefined> {
    const started = performance.now();
    let verdict: Verdict;
    let answer: T | undefined;
    try {
      answer = await withTimeout(call(), REQUEST_TIMEOUT_MS, 'request');
      verdict = classify(answer);
    } catch (error) {
      verdict = { error: error instanceof TimeoutError ? 'timeout' : errorText(error) };
    }
    const finished = performance.now();
    this.count(verdict, started, finished, kind);
    return verdict === 'ok' || verdict === 'insufficient' ? answer : undefined;
  }

  /** An error that is no request's answer (e.g. a start the open loop had to refuse): counted, no latency. */
  countError(kind: string): void {
    this.addError(kind);
  }

  /** A pair (open + close) that began at `startedAt` (performance.now()) completed now. */
  completePair(startedAt: number): void {
    if (this.inWindow(startedAt) && this.inWindow(performance.now())) this.pairs += 1;
  }

  /** Adds another window's counts, latencies and measured time to this one's. */
  merge(other: LoadMeter): void {
    this.mergedMs += other.windowEnd - other.windowStart + other.mergedMs;
    this.latencies.merge(other.latencies);
    for (const [kind, recorder] of other.latenciesByKind) {
      const mine = this.latenciesByKind.get(kind);
      if (mine === undefined) this.latenciesByKind.set(kind, recorder);
      else mine.merge(recorder);
    }
    this.requests += other.requests;
    this.pairs += other.pairs;
    this.insufficientFunds += other.insufficientFunds;
    for (const [kind, count] of other.errorKinds) this.addError(kind, count);
  }

  result(workers: number): LoadResult {
    const durationMs = this.windowEnd - this.windowStart + this.mergedMs;
    const durationS = durationMs / 1000;
    return {
      workers,
      durationMs,
      requests: this.requests,
      pairs: this.pairs,
      insufficientFunds: this.insufficientFunds,
      errors: this.errors,
      errorKinds: Object.fromEntries(this.errorKinds),
      requestsPerS: this.requests / durationS,
      pairsPerS: this.pairs / durationS,
      latency: this.latencies.summary(),
      ...(this.latenciesByKind.size > 0
        ? {
            latencyByKind: Object.fromEntries(
              [...this.latenciesByKind].map(([kind, recorder]) => [kind, recorder.summary()]),
            ),
          }
        : {}),
    };
  }

  private addError(text: string, count = 1): void {
    this.errors += count;
    const kind = this.errorKinds.has(text) || this.errorKinds.size < ERROR_KINDS_MAX ? text : 'other';
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + count);
  }

  private count(verdict: Verdict, started: number, finished: number, kind: string | undefined): void {
    if (typeof verdict === 'object') this.addError(verdict.error);
    if (!this.inWindow(started) || !this.inWindow(finished)) return;
    // Latency of every request, failures included (a timeout is what a platform would feel);
    // throughput only of answered ones, so that fast failures cannot inflate it.
    this.latencies.record(finished - started);
    if (kind !== undefined) {
      let recorder = this.latenciesByKind.get(kind);
      if (recorder === undefined) this.latenciesByKind.set(kind, (recorder = new LatencyRecorder()));
      recorder.record(finished - started);
    }
    if (typeof verdict === 'object') return;
    this.requests += 1;
    if (verdict === 'insufficient') this.insufficientFunds += 1;
  }

  private inWindow(time: number): boolean {
    return time >= this.windowStart && time < this.windowEnd;
  }
}

/** Runs `iterate` in `workers` concurrent loops until the window closes; returns the window's figures. */
export async function runClosedLoop(
  options: LoadOptions,
  iterate: (context: IterationContext) => Promise<void>,
): Promise<LoadResult> {
  return (await measureClosedLoop(options, iterate)).result(options.workers);
}

/** runClosedLoop's meter itself, for measurements that merge several windows (LoadMeter.merge). */
export async function measureClosedLoop(
  options: LoadOptions,
  iterate: (context: IterationContext) => Promise<void>,
): Promise<LoadMeter> {
  const meter = new LoadMeter(options, performance.now());
  const worker = async (index: number): Promise<void> => {
    for (
      let iteration = 0;
      iteration < ITERATIONS_PER_WORKER_MAX && performance.now() < meter.windowEnd;
      iteration += 1
    ) {
      await iterate({ worker: index, iteration, meter });
    }
  };
  const startTimer = setTimeout(() => options.window?.onStart(), options.warmupMs);
  const endTimer = setTimeout(() => options.window?.onEnd(), options.warmupMs + options.durationMs);
  try {
    const all = Promise.all(Array.from({ length: options.workers }, (_, index) => worker(index)));
    await withTimeout(all, options.warmupMs + options.durationMs + DRAIN_TIMEOUT_MS, 'load workers');
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
  }
  return meter;
}

export interface PacedOptions {
  /** Starts per second (each start is one iteration: a pair of requests for the wallet). */
  startsPerS: number;
  /** Iterations in flight at most; a start due while this many are in flight is refused and counted as an error. */
  maxInFlight: number;
  warmupMs: number;
  durationMs: number;
  window?: WindowObserver;
}

export interface PacedResult extends LoadResult {
  startsPerS: number;
  maxInFlight: number;
  /** Starts the schedule called for (rate x run time, capped at PACED_STARTS_MAX). */
  planned: number;
  started: number;
  /** Starts refused because maxInFlight were in flight (each also counted as an error). */
  refused: number;
  /** The most iterations that were in flight at once. */
  peakInFlight: number;
}

/** Whatever the rate and the duration, an open loop starts no more iterations than this. */
export const PACED_STARTS_MAX = 5_000_000;

/**
 * An open loop: iteration i is due at start + i / startsPerS, whatever became of the earlier ones
 * (as independent platform users would send), until the measured window closes. At most
 * `maxInFlight` run at once; a start due while that many are in flight is refused and counted as an
 * error, so that a service that cannot keep up shows as errors rather than as a slower schedule.
 */
export async function runPaced(
  options: PacedOptions,
  iterate: (context: IterationContext) => Promise<void>,
): Promise<PacedResult> {
  const startedAt = performance.now();
  const meter = new LoadMeter(options, startedAt);
  const intervalMs = 1000 / options.startsPerS;
  const planned = Math.min(
    PACED_STARTS_MAX,
    Math.ceil(((options.warmupMs + options.durationMs) / 1000) * options.startsPerS),
  );
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  let refused = 0;
  let peakInFlight = 0;
  const startTimer = setTimeout(() => options.window?.onStart(), options.warmupMs);
  const endTimer = setTimeout(() => options.window?.onEnd(), options.warmupMs + options.durationMs);
  try {
    for (let index = 0; index < planned; index += 1) {
      const due = startedAt + index * intervalMs;
      if (due >= meter.windowEnd) break;
      const wait = due - performance.now();
      // Behind schedule: still let answers in (they free slots) before deciding on this start.
      await (wait > 0 ? sleep(wait) : new Promise<void>((resolve) => setImmediate(resolve)));
      if (inFlight.size >= options.maxInFlight) {
        refused += 1;
        meter.countError(`start refused: ${options.maxInFlight} in flight`);
        continue;
      }
      started += 1;
      const run = iterate({ worker: 0, iteration: index, meter }).catch((error: unknown) =>
        meter.countError(errorText(error)),
      );
      inFlight.add(run);
      peakInFlight = Math.max(peakInFlight, inFlight.size);
      void run.finally(() => inFlight.delete(run));
    }
    await withTimeout(Promise.all(inFlight), DRAIN_TIMEOUT_MS, 'paced iterations in flight');
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
  }
  return {
    ...meter.result(options.maxInFlight),
    startsPerS: options.startsPerS,
    maxInFlight: options.maxInFlight,
    planned,
    started,
    refused,
    peakInFlight,
  };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 200);
}
