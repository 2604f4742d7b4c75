/**
 * Samples a process's resident memory (VmRSS of /proc/<pid>/status) on a timer and keeps the peak,
 * overall and since the last `startWindow()` (one window per scenario).
 */
import { readFileSync } from 'node:fs';

export const RSS_SAMPLE_INTERVAL_MS = 100;
const KIB_PER_MIB = 1024;

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakKib = 0;
  private windowPeakKib = 0;
  private samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = RSS_SAMPLE_INTERVAL_MS,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref(); // never what keeps the benchmark alive
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts a new window (one per scenario): `windowPeakMib` then covers only what follows. */
  startWindow(): void {
    this.windowPeakKib = 0;
    this.sample();
  }

  get windowPeakMib(): number {
    return this.windowPeakKib / KIB_PER_MIB;
  }

  get peakMib(): number {
    return this.peakKib / KIB_PER_MIB;
  }

  get sampleCount(): number {
    return this.samples;
  }

  private sample(): void {
    const kib = readRssKib(this.pid);
    if (kib === undefined) return;
    this.samples += 1;
    this.peakKib = Math.max(this.peakKib, kib);
    this.windowPeakKib = Math.max(this.windowPeakKib, kib);
  }
}

/** VmRSS in KiB, or undefined when the process is gone or /proc is not available. */
export function readRssKib(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
