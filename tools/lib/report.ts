/** The benchmark's outputs: a table for people (stdout) and a JSON file for comparisons across runs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CpuShare } from './cpu-usage';
import type { GrowthFigures } from './growth';
import type { HeavyStep } from './heavy-admin';
import type { LatencySummary } from './latency';
import type { FanoutFigures } from './manager-scenarios';
import type { PacedFigures } from './paced-scenarios';
import type { BenchOptions, ScenarioMeasurement } from './scenario';
import type { TargetCheck } from './targets';

const BYTES_PER_GIB = 1024 ** 3;
/** Cores kept busy by processes outside the benchmark above which the growth table warns of noise. */
const NOISY_OTHER_CORES = 0.25;

export interface ScenarioResult extends ScenarioMeasurement {
  name: string;
  description: string;
  transport: 'http' | 'tcp' | 'db';
  /** The issue-5 baseline (TPC-B) this scenario is compared with. */
  baseline: string | null;
  /** This scenario's requests/s over its baseline's operations/s (null without that baseline in this run). */
  ratioToBaseline: number | null;
  /** The db-direct scenario doing the same database work without the service. */
  ceiling: string | null;
  ratioToCeiling: number | null;
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
  /** Issue 5's targets against this run's figures. */
  targets: TargetCheck[];
  /** The pgbench binary used, or why there was none. */
  pgbench: { binary: string | null; note: string };
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

/** requests/s of `result` over those of the scenario named `other` (null when it did not run or was skipped). */
export function ratioOf(
  results: readonly ScenarioResult[],
  result: ScenarioResult,
  other: string | null,
): number | null {
  const reference = results.find((candidate) => candidate.name === other);
  if (!reference || reference.skipped !== undefined || reference.requestsPerS <= 0 || result.skipped !== undefined)
    return null;
  return result.requestsPerS / reference.requestsPerS;
}

/** Fills in each scenario's ratios once every scenario of the run is known. */
export function withBaselineRatios(results: ScenarioResult[]): ScenarioResult[] {
  return results.map((result) => ({
    ...result,
    ratioToBaseline: ratioOf(results, result, result.baseline),
    ratioToCeiling: ratioOf(results, result, result.ceiling),
  }));
}

/** A latency cell: "-" where it is not known (pgbench gives only its mean). */
function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/**
 * One row per scenario. ops/s: answered requests/s of the wallet and manager scenarios (one
 * request = one operation), transactions/s of tpcb/pgbench, events/s of event-fanout.
 */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'ops/s',
    'pairs/s',
    'avg ms',
    'p50 ms',
    'p99 ms',
    'max ms',
    'errors',
    'vs baseline',
    'vs db-direct',
  ];
  const rows = results.map((result) => {
    if (result.skipped !== undefined) return [result.name, 'skipped', '-', '-', '-', '-', '-', '-', '-', '-'];
    return [
      result.name,
      result.requestsPerS.toFixed(0),
      result.pairs === 0 && result.transport !== 'http' ? '-' : result.pairsPerS.toFixed(0), // manager commands, transactions: no pairs
      ms(result.latency.meanMs),
      ms(result.latency.p50Ms),
      ms(result.latency.p99Ms),
      ms(result.latency.maxMs, 1),
      String(result.errors),
      result.ratioToBaseline === null ? '-' : `${result.ratioToBaseline.toFixed(2)}x ${result.baseline}`,
      result.ratioToCeiling === null ? '-' : `${(result.ratioToCeiling * 100).toFixed(0)} %`,
    ];
  });
  const skipped = results
    .filter((result) => result.skipped !== undefined)
    .map((result) => `${result.name} skipped: ${result.skipped}`);
  return [formatColumns(header, rows), ...skipped].join('\n');
}

/** The TPC-B baseline from Node next to the pgbench binary's figures, per scale. Empty when no baseline ran. */
export function formatBaselineTable(results: readonly ScenarioResult[], pgbenchNote: string): string {
  const scales = [
    ...new Set(results.flatMap((result) => /^(?:tpcb|pgbench)-scale(\d+)$/.exec(result.name)?.[1] ?? [])),
  ];
  if (scales.length === 0) return '';
  const find = (name: string) => results.find((result) => result.name === name && result.skipped === undefined);
  const rows = scales.map((scale) => {
    const node = find(`tpcb-scale${scale}`);
    const binary = find(`pgbench-scale${scale}`);
    return [
      `scale ${scale}`,
      node ? node.requestsPerS.toFixed(0) : '-',
      node ? ms(node.latency.meanMs) : '-',
      binary ? binary.requestsPerS.toFixed(0) : '-',
      binary ? ms(binary.latency.meanMs) : '-',
      node && binary && node.requestsPerS > 0 ? `${(binary.requestsPerS / node.requestsPerS).toFixed(2)}x` : '-',
    ];
  });
  return [
    formatColumns(
      ['TPC-B-like baseline', 'node-postgres tps', 'avg ms', 'pgbench tps', 'avg ms', 'pgbench/node'],
      rows,
    ),
    `pgbench: ${pgbenchNote}`,
  ].join('\n');
}

/** The paced scenario's schedule and its opentrade / closetrade latencies apart. Empty when it did not run. */
export function formatPacedTable(results: readonly ScenarioResult[]): string {
  const rows = results.flatMap((result) => {
    const figures = result.extra as Partial<PacedFigures> | undefined;
    if (result.skipped !== undefined || figures?.targetRequestsPerS === undefined) return [];
    const pair = (latency: LatencySummary | null | undefined) =>
      latency ? `${ms(latency.p50Ms)} / ${ms(latency.p99Ms)}` : '-';
    return [
      [
        result.name,
        figures.targetRequestsPerS.toFixed(0),
        result.requestsPerS.toFixed(0),
        `${figures.started}/${figures.planned}`,
        String(figures.refused),
        `${figures.peakInFlight}/${figures.maxInFlight}`,
        pair(figures.opentrade),
        pair(figures.closetrade),
      ],
    ];
  });
  if (rows.length === 0) return '';
  return formatColumns(
    [
      'paced',
      'target req/s',
      'achieved req/s',
      'started/planned',
      'refused',
      'peak in flight',
      'opentrade p50/p99 ms',
      'closetrade p50/p99 ms',
    ],
    rows,
  );
}

/** Both growth measurements, with the journal_entries count at each, and the ratio of p50s. Empty when growth did not run. */
export function formatGrowthTable(results: readonly ScenarioResult[]): string {
  const result = results.find((candidate) => candidate.name === 'growth' && candidate.skipped === undefined);
  const figures = result?.extra as Partial<GrowthFigures> | undefined;
  if (!figures?.small || !figures.large) return '';
  const kinds = ['getbalance', 'opentrade', 'closetrade'] as const;
  const phaseRow = (phase: GrowthFigures['small']) => [
    `${phase.entriesBefore.toLocaleString('en')} entries`,
    `${phase.entriesBefore.toLocaleString('en')} -> ${phase.entriesAfter.toLocaleString('en')}`,
    ...kinds.map((kind) => {
      const latency = phase.latency[kind];
      return latency ? `${ms(latency.p50Ms)} / ${ms(latency.p99Ms)}` : '-';
    }),
    phase.requestsPerS.toFixed(0),
    String(phase.errors),
    `${phase.otherCores === null ? '-' : phase.otherCores.toFixed(2)} / ${phase.loadAverage.toFixed(1)}`,
  ];
  const ratioRow = [
    'p50 ratio (after/before)',
    '',
    ...kinds.map((kind) => (figures.p50Ratio?.[kind] === undefined ? '-' : `${figures.p50Ratio[kind]!.toFixed(2)}x`)),
    '',
    '',
    '',
  ];
  const generated = figures.generated;
  const measured = `${figures.workers} closed-loop workers, ${figures.rounds} rounds of a ${((figures.sliceMs ?? 0) / 1000).toFixed(1)} s slice per ledger, alternating`;
  const note = generated
    ? `growth: generated ${generated.entries.toLocaleString('en')} entries over ${generated.accounts.toLocaleString('en')} accounts (logins from ${generated.firstLogin}) in ${(generated.totalMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(generated.vacuumMs / 1000).toFixed(1)} s, CHECKPOINT ${(generated.checkpointMs / 1000).toFixed(1)} s; ${measured}`
    : `growth: the ledger was not grown (already at the size asked); ${measured}`;
  // Other processes kept a quarter of a core or more busy during a measurement: its latencies carry their noise.
  const noisy = [figures.small, figures.large].some(
    (phase) => phase.otherCores !== null && phase.otherCores >= NOISY_OTHER_CORES,
  );
  return [
    formatColumns(
      [
        'growth',
        'journal entries (start -> end)',
        'getbalance p50/p99 ms',
        'opentrade p50/p99 ms',
        'closetrade p50/p99 ms',
        'req/s',
        'errors',
        'other cores / load',
      ],
      [phaseRow(figures.small), phaseRow(figures.large), ratioRow],
    ),
    note,
    ...(noisy
      ? [
          `growth: other processes kept >= ${NOISY_OTHER_CORES} core busy during a measurement (other cores column): the ratio carries their noise`,
        ]
      : []),
  ].join('\n');
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
        figures.sendToEvent === undefined
          ? '-'
          : `${figures.sendToEvent.p50Ms.toFixed(2)} / ${figures.sendToEvent.p99Ms.toFixed(2)}`,
        figures.writerLatency.p99Ms.toFixed(2),
        (figures.drainMs ?? 0).toFixed(0),
      ],
    ];
  });
  if (rows.length === 0) return '';
  return formatColumns(
    [
      'fan-out',
      'subscribers',
      'acked/sent/planned',
      'events',
      'deliveries',
      'deliveries/s',
      'missing',
      'dupes',
      'wrong',
      'before answer',
      'send→event p50/p99 ms',
      'writer p99 ms',
      'drain ms',
    ],
    rows,
  );
}

/** Where the CPU went, per request: explains a throughput figure on a machine where all parties share the cores. */
export function formatCpuTable(results: readonly ScenarioResult[]): string {
  const cell = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value.toFixed(2));
  return formatColumns(
    ['cpu ms/request', 'client', 'service', 'postgres', 'other'],
    results
      .filter((result) => result.skipped === undefined)
      .map(({ name, cpuMsPerRequest: cpu }) => [
        name,
        cell(cpu?.client),
        cell(cpu?.service),
        cell(cpu?.postgres),
        cell(cpu?.other),
      ]),
  );
}

/** A plain-text table: first column (and any in `leftAligned`) left-aligned, numbers right-aligned. */
export function formatColumns(header: string[], rows: string[][], leftAligned: readonly number[] = []): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 || leftAligned.includes(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ')
      .trimEnd();
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

/** The heavy-admin steps: size, time and the service's peak RSS of each. */
export function formatHeavyAdminTable(results: readonly ScenarioResult[]): string {
  const result = results.find((candidate) => candidate.name === 'heavy-admin' && candidate.skipped === undefined);
  const figures = result?.extra as { entries: number; steps: HeavyStep[] } | undefined;
  if (!figures) return '';
  return [
    formatColumns(
      ['heavy-admin step', 'size', 'seconds', 'service peak RSS MiB'],
      figures.steps.map((step) => [
        step.name,
        `${step.size.toLocaleString('en')} ${step.unit}`,
        (step.ms / 1000).toFixed(1),
        step.rssPeakMib.toFixed(0),
      ]),
    ),
    `heavy-admin: ${figures.entries.toLocaleString('en')} journal entries on one account; every step completed with the service running on npm start's heap settings`,
  ].join('\n');
}
