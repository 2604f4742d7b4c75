/**
 * Request latencies as a histogram with logarithmic buckets: memory stays fixed however long a run
 * lasts (a growth scenario may record tens of millions of requests), recorders of several workers or
 * processes merge by adding buckets, and every percentile is exact to within BUCKET_GROWTH.
 */

/** Smallest latency told apart from zero, in milliseconds (10 µs). */
const LATENCY_FLOOR_MS = 0.01;
/** Largest latency with its own bucket, in milliseconds; anything slower lands in the last one. */
const LATENCY_CEILING_MS = 600_000;
/** Each bucket's upper bound is this factor above the previous one: percentiles within 1 %. */
const BUCKET_GROWTH = 1.01;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);
const BUCKET_COUNT = Math.ceil(Math.log(LATENCY_CEILING_MS / LATENCY_FLOOR_MS) / LOG_GROWTH) + 1;

export interface LatencySummary {
  count: number;
  meanMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class LatencyRecorder {
  private readonly buckets = new Float64Array(BUCKET_COUNT);
  private count = 0;
  private sumMs = 0;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = 0;

  record(latencyMs: number): void {
    const value = Math.max(0, latencyMs);
    this.buckets[bucketOf(value)]! += 1;
    this.count += 1;
    this.sumMs += value;
    if (value < this.minMs) this.minMs = value;
    if (value > this.maxMs) this.maxMs = value;
  }

  merge(other: LatencyRecorder): void {
    for (let i = 0; i < BUCKET_COUNT; i += 1) this.buckets[i]! += other.buckets[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  get size(): number {
    return this.count;
  }

  /** The latency below which `percent` % of the recorded requests fall (bucket upper bound, capped at the max). */
  percentile(percent: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i += 1) {
      seen += this.buckets[i]!;
      if (seen >= rank) return Math.min(upperBoundOf(i), this.maxMs);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanMs: this.count === 0 ? 0 : this.sumMs / this.count,
      minMs: this.count === 0 ? 0 : this.minMs,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      p999Ms: this.percentile(99.9),
      maxMs: this.maxMs,
    };
  }
}

function bucketOf(latencyMs: number): number {
  if (latencyMs <= LATENCY_FLOOR_MS) return 0;
  const index = Math.ceil(Math.log(latencyMs / LATENCY_FLOOR_MS) / LOG_GROWTH);
  return Math.min(index, BUCKET_COUNT - 1);
}

function upperBoundOf(bucket: number): number {
  return LATENCY_FLOOR_MS * BUCKET_GROWTH ** bucket;
}
