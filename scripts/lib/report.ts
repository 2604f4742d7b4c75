/** The benchmark's outputs: a table for people (stdout) and a JSON file for comparisons across runs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CpuShare } from './cpu-usage';
import type { FanoutFigures } from './manager-scenarios';
import type { BenchOptions, ScenarioMeasurement } from './scenario';

const BYTES_PER_GIB = 1024 ** 3;

export interface ScenarioResult extends ScenarioMeasurement {
  name: string;
  description: string;
  transport: 'http' | 'tcp' | 'db';
  baseline: string | null;
  /** This scenario's requests/s over its baseline's (null without a baseline in this run). */
  ratioToBaseline: number | null;
  /** Peak RSS of the service process while the scenario ran, in MiB. */
  serviceRssPeakMib: number;
  /**
   * CPU milliseconds per answered request over the measured window, by party: the load generator
   * (this process), the service process, PostgreSQL (embedded only), and everything else on the
   * machine (other processes: noise). Null when not measured.
   */
  cpuMsPerRequest: CpuShare | null;
  wallClockMs: number;
}


export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGib: number;
  platform: string;
  osRelease: string;
  nodeVersion: string;
  postgresVersion: string;
  postgres: 'embedded' | 'external';
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: BenchOptions;
  setupMs: Record<string, number>;
  service: { rssPeakMib: number; rssSamples: number; errorLogLines: number };
  scenarios: ScenarioResult[];
}

export function machineInfo(postgresVersion: string, embedded: boolean): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGib: Number((os.totalmem() / BYTES_PER_GIB).toFixed(1)),
    platform: os.platform(),
    osRelease: os.release(),
    nodeVersion: process.version,
    postgresVersion,
    postgres: embedded ? 'embedded' : 'external',
  };
}

/** Fills in each scenario's ratio once every scenario of the run is known. */
export function withBaselineRatios(results: ScenarioResult[]): ScenarioResult[] {
  return results.map((result) => {
    const baseline = results.find((candidate) => candidate.name === result.baseline);
    const ratio = baseline && baseline.requestsPerS > 0 ? result.requestsPerS / baseline.requestsPerS : null;
    return { ...result, ratioToBaseline: ratio };
  });
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'requests/s', 'pairs/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'vs db-direct'];
  return formatColumns(
    header,
    results.map((result) => [
      result.name,
      result.requestsPerS.toFixed(0),
      result.transport === 'tcp' ? '-' : result.pairsPerS.toFixed(0), // manager commands come alone, not in pairs
      result.latency.p50Ms.toFixed(2),
      result.latency.p99Ms.toFixed(2),
      result.latency.maxMs.toFixed(1),
      String(result.errors),
      result.ratioToBaseline === null ? '-' : `${(result.ratioToBaseline * 100).toFixed(0)} %`,
    ]),
  );
}

/**
 * The event fan-out beyond the common columns (its requests/s are events/s, its latency is commit
 * to event): deliveries, and the exactly-once check. Empty when no fan-out scenario ran.
 */
export function formatFanoutTable(results: readonly ScenarioResult[]): string {
  const rows = results.flatMap((result) => {
    const figures = result.extra as Partial<FanoutFigures> | undefined;
    if (figures?.subscribers === undefined || figures.writerLatency === undefined) return [];
    return [
      [
        result.name,
        String(figures.subscribers),
        `${figures.acknowledged}/${figures.issued}/${figures.planned}`,
        String(figures.windowEvents),
        String(figures.windowDeliveries),
        (figures.deliveriesPerS ?? 0).toFixed(0),
        String(figures.missing),
        String(figures.duplicates),
        String(figures.wrongData),
        String(figures.beforeAnswer),
        figures.sendToEvent === undefined ? '-' : `${figures.sendToEvent.p50Ms.toFixed(2)} / ${figures.sendToEvent.p99Ms.toFixed(2)}`,
        figures.writerLatency.p99Ms.toFixed(2),
        (figures.drainMs ?? 0).toFixed(0),
      ],
    ];
  });
  if (rows.length === 0) return '';
  return formatColumns(
    ['fan-out', 'subscribers', 'acked/sent/planned', 'events', 'deliveries', 'deliveries/s', 'missing', 'dupes', 'wrong', 'before answer', 'send→event p50/p99 ms', 'writer p99 ms', 'drain ms'],
    rows,
  );
}

/** Where the CPU went, per request: explains a throughput figure on a machine where all parties share the cores. */
export function formatCpuTable(results: readonly ScenarioResult[]): string {
  const cell = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value.toFixed(2));
  return formatColumns(
    ['cpu ms/request', 'client', 'service', 'postgres', 'other'],
    results.map(({ name, cpuMsPerRequest: cpu }) => [name, cell(cpu?.client), cell(cpu?.service), cell(cpu?.postgres), cell(cpu?.other)]),
  );
}

/** A plain-text table: first column left-aligned, numbers right-aligned. */
function formatColumns(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** Writes bench/results/bench-<ISO timestamp>.json (the folder is git-ignored); returns its path. */
export function writeReport(projectRoot: string, report: BenchReport): string {
  const directory = path.join(projectRoot, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  // ':' is legal on Linux but not on every file system a results folder gets copied to.
  const file = path.join(directory, `bench-${report.startedAt.replace(/:/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
