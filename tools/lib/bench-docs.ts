/**
 * The benchmark's published figures: a full run rewrites the marked section of docs/benchmark.md
 * from its report, so the figures a reader finds are one run's, as the benchmark printed them, never
 * pasted by hand. Everything but `publishBenchSection` is pure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  formatBaselineTable,
  formatCpuTable,
  formatFanoutTable,
  formatGrowthTable,
  formatHeavyAdminTable,
  formatPacedTable,
  formatTable,
  type BenchReport,
} from './report';
import { formatTargets } from './targets';

export const BENCH_SECTION_BEGIN = '<!-- bench:begin -->';
export const BENCH_SECTION_END = '<!-- bench:end -->';
/** The page that carries the section, from the project root. */
export const BENCH_DOC_FILE = 'docs/benchmark.md';

/** What decides whether a run is published: every scenario, full length, the service as it ships. */
export interface RunSelection {
  quick: boolean;
  /** `--scenarios` named a subset. */
  scenariosFiltered: boolean;
  /** `--service-env` settings: an experiment with other settings than the service's defaults. */
  serviceSettings: number;
  /** The run failed (errors answered, error log lines): its figures measured something else. */
  failed: boolean;
}

/** Why a run is not published, or null when it is. */
export function notPublishedBecause(run: RunSelection): string | null {
  if (run.quick) return 'a --quick run';
  if (run.scenariosFiltered) return 'a run of some scenarios (--scenarios)';
  if (run.serviceSettings > 0) return 'a run with other service settings (--service-env)';
  if (run.failed) return 'a run with errors';
  return null;
}

/** The section's text (between the markers) for one run's report; `resultsFile` relative to the project root. */
export function renderBenchSection(report: BenchReport, resultsFile: string): string {
  const { machine, options } = report;
  const tables = [
    formatTable(report.scenarios),
    formatBaselineTable(report.scenarios, report.pgbench.note),
    formatPacedTable(report.scenarios),
    formatGrowthTable(report.scenarios),
    formatFanoutTable(report.scenarios),
    formatHeavyAdminTable(report.scenarios),
    formatCpuTable(report.scenarios),
    formatTargets(report.targets),
  ].filter((table) => table !== '');
  const rssMb = (report.service.rssPeakMib * 1024 * 1024) / 1e6;
  return [
    `Written by \`npm run bench\` from its full run of ${report.startedAt} (\`${resultsFile}\`, kept`,
    'where that run was made): do not edit by hand; the next full run replaces it.',
    '',
    `Machine: ${machine.cpuModel} x${machine.cpuCount}, ${machine.totalMemoryGib} GiB, ${machine.platform} ${machine.osRelease},`,
    `Node ${machine.nodeVersion}; ${machine.postgresVersion.split(',')[0]} (${machine.postgres}). ${options.connections} connections,`,
    `${options.durationMs / 1000} s per scenario after ${options.warmupMs / 1000} s of warm-up, ${options.accounts.toLocaleString('en')} spread accounts,`,
    `growth to ${options.growthEntries.toLocaleString('en')} entries. Service peak RSS ${report.service.rssPeakMib.toFixed(0)} MiB (${rssMb.toFixed(0)} MB).`,
    '',
    '```text',
    tables.join('\n\n'),
    '```',
  ].join('\n');
}

/**
 * `document` with the text between its markers replaced by `section`. Throws, changing nothing,
 * unless the document holds each marker exactly once, the begin marker first.
 */
export function replaceBenchSection(document: string, section: string): string {
  const begin = document.indexOf(BENCH_SECTION_BEGIN);
  const end = document.indexOf(BENCH_SECTION_END);
  if (begin < 0 || end < 0)
    throw new Error(`the page has no ${begin < 0 ? BENCH_SECTION_BEGIN : BENCH_SECTION_END} marker`);
  if (document.indexOf(BENCH_SECTION_BEGIN, begin + 1) >= 0 || document.indexOf(BENCH_SECTION_END, end + 1) >= 0) {
    throw new Error("the page has a marker twice: which section is the benchmark's is unclear");
  }
  if (end < begin) throw new Error(`${BENCH_SECTION_END} comes before ${BENCH_SECTION_BEGIN}`);
  return `${document.slice(0, begin + BENCH_SECTION_BEGIN.length)}\n${section.trim()}\n${document.slice(end)}`;
}

/** Rewrites the section of docs/benchmark.md from the report; returns the page's path. */
export function publishBenchSection(projectRoot: string, report: BenchReport, resultsFile: string): string {
  const file = path.join(projectRoot, BENCH_DOC_FILE);
  const section = renderBenchSection(report, path.relative(projectRoot, resultsFile));
  writeFileSync(file, replaceBenchSection(readFileSync(file, 'utf8'), section));
  return file;
}
