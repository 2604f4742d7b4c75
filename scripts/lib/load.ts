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
import { TimeoutError, withTimeout } from './concurrency';
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
  private requests = 0;
  private pairs = 0;
  private insufficientFunds = 0;
  private errors = 0;
  private readonly errorKinds = new Map<string, number>();

  constructor(options: LoadOptions, startedAt: number) {
    this.windowStart = startedAt + options.warmupMs;
    this.windowEnd = this.windowStart + options.durationMs;
  }

  /** Times one request and classifies its answer; returns the answer, or undefined when it failed. */
  async measure<T>(call: () => Promise<T>, classify: (answer: T) => Verdict): Promise<T | undefined> {
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
    this.count(verdict, started, finished);
    return verdict === 'ok' || verdict === 'insufficient' ? answer : undefined;
  }

  /** A pair (open + close) that began at `startedAt` (performance.now()) completed now. */
  completePair(startedAt: number): void {
    if (this.inWindow(startedAt) && this.inWindow(performance.now())) this.pairs += 1;
  }

  result(workers: number): LoadResult {
    const durationS = (this.windowEnd - this.windowStart) / 1000;
    return {
      workers,
      durationMs: this.windowEnd - this.windowStart,
      requests: this.requests,
      pairs: this.pairs,
      insufficientFunds: this.insufficientFunds,
      errors: this.errors,
      errorKinds: Object.fromEntries(this.errorKinds),
      requestsPerS: this.requests / durationS,
      pairsPerS: this.pairs / durationS,
      latency: this.latencies.summary(),
    };
  }

  private count(verdict: Verdict, started: number, finished: number): void {
    if (typeof verdict === 'object') {
      this.errors += 1;
      const kind = this.errorKinds.has(verdict.error) || this.errorKinds.size < ERROR_KINDS_MAX ? verdict.error : 'other';
      this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
    }
    if (!this.inWindow(started) || !this.inWindow(finished)) return;
    // Latency of every request, failures included (a timeout is what a platform would feel);
    // throughput only of answered ones, so that fast failures cannot inflate it.
    this.latencies.record(finished - started);
    if (typeof verdict === 'object') return;
    this.requests += 1;
    if (verdict === 'insufficient') this.insufficientFunds += 1;
  }

  private inWindow(time: number): boolean {
    return time >= this.windowStart && time < this.windowEnd;
  }
}

/** Runs `iterate` in `workers` concurrent loops until the window closes; returns the window's figures. */
export async function runClosedLoop(options: LoadOptions, iterate: (context: IterationContext) => Promise<void>): Promise<LoadResult> {
  const meter = new LoadMeter(options, performance.now());
  const worker = async (index: number): Promise<void> => {
    for (let iteration = 0; iteration < ITERATIONS_PER_WORKER_MAX && performance.now() < meter.windowEnd; iteration += 1) {
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
  return meter.result(options.workers);
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 200);
}
