import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BENCH_DOC_FILE,
  BENCH_SECTION_BEGIN,
  BENCH_SECTION_END,
  notPublishedBecause,
  renderBenchSection,
  replaceBenchSection,
} from '../../tools/lib/bench-docs';
import type { BenchReport, ScenarioResult } from '../../tools/lib/report';
import { noLoadMeasurement } from '../../tools/lib/scenario';

/**
 * The benchmark's published section (docs/benchmark.md, between its markers) is rewritten from a
 * full run's report: pure functions, tested without running the benchmark.
 */
const ROOT = path.resolve(__dirname, '../..');

const latency = { count: 1000, meanMs: 20, minMs: 1, p50Ms: 18, p90Ms: 30, p99Ms: 49, p999Ms: 60, maxMs: 80 };

function scenario(name: string, requestsPerS: number): ScenarioResult {
  return {
    ...noLoadMeasurement(64, 10_000),
    requests: requestsPerS * 15,
    requestsPerS,
    pairs: (requestsPerS * 15) / 2,
    pairsPerS: requestsPerS / 2,
    durationMs: 15_000,
    latency,
    name,
    description: name,
    transport: 'http',
    baseline: null,
    ratioToBaseline: null,
    ceiling: null,
    ratioToCeiling: null,
    serviceRssPeakMib: 150,
    cpuMsPerRequest: { client: 0.14, service: 0.19, postgres: 0.27, other: 0.01 },
    wallClockMs: 18_000,
  };
}

const report: BenchReport = {
  startedAt: '2026-12-09T10:00:00.000Z',
  finishedAt: '2026-12-09T10:20:00.000Z',
  machine: {
    cpuModel: 'AMD EPYC 7B13',
    cpuCount: 2,
    totalMemoryGib: 23.5,
    platform: 'linux',
    osRelease: '6.1.0',
    nodeVersion: 'v20.20.0',
    postgresVersion: 'PostgreSQL 17.10 on x86_64-pc-linux-gnu, compiled by gcc',
    postgres: 'embedded',
  },
  options: {
    durationMs: 15_000,
    warmupMs: 3_000,
    accounts: 10_000,
    connections: 64,
    quick: false,
    growthEntries: 10_000_000,
    serviceEnv: {},
  },
  setupMs: {},
  service: { rssPeakMib: 157, rssSamples: 100, errorLogLines: 0 },
  scenarios: [scenario('spread', 2786), scenario('hot', 2390)],
  targets: [{ target: 'service peak RSS', required: '< 200 MB', measured: '164 MB', value: 164, met: true }],
  pgbench: { binary: null, note: 'not found' },
};

const page = (section: string) =>
  `# Benchmark\n\nintro\n\n${BENCH_SECTION_BEGIN}\n${section}\n${BENCH_SECTION_END}\n\nafter\n`;

describe('the published section', () => {
  it('is rendered from the report: its date, results file, machine, options and every table', () => {
    const section = renderBenchSection(report, 'bench/results/bench-2026-12-09T10-00-00.000Z.json');
    expect(section).toContain('2026-12-09T10:00:00.000Z');
    expect(section).toContain('`bench/results/bench-2026-12-09T10-00-00.000Z.json`');
    expect(section).toContain('AMD EPYC 7B13 x2, 23.5 GiB');
    expect(section).toContain('PostgreSQL 17.10 on x86_64-pc-linux-gnu (embedded)');
    expect(section).toContain('64 connections');
    expect(section).toMatch(/^spread\s+2786\s+1393\s/m); // the scenario table, as the benchmark prints it
    expect(section).toMatch(/^cpu ms\/request\s+client\s+service\s+postgres\s+other$/m);
    expect(section).toMatch(/^service peak RSS\s+< 200 MB\s+164 MB\s+yes/m);
    expect(section).not.toContain(BENCH_SECTION_BEGIN);
    expect(section.match(/```/g)).toHaveLength(2); // one fenced block: the tables keep their columns
  });

  it('replaces only the text between the markers, and a second time gives the same page', () => {
    const before = page('the old figures');
    const once = replaceBenchSection(before, 'the new figures');
    expect(once).toBe(page('the new figures'));
    expect(replaceBenchSection(once, 'the new figures')).toBe(once);
    expect(replaceBenchSection(before, '\n\n  padded \n\n')).toBe(page('padded'));
  });

  it('refuses a page without both markers, with one twice, or with them out of order', () => {
    expect(() => replaceBenchSection('# Benchmark\n', 'x')).toThrow(/no <!-- bench:begin --> marker/);
    expect(() => replaceBenchSection(`${BENCH_SECTION_BEGIN}\n`, 'x')).toThrow(/no <!-- bench:end --> marker/);
    expect(() => replaceBenchSection(`${page('a')}${page('b')}`, 'x')).toThrow(/twice/);
    expect(() => replaceBenchSection(`${BENCH_SECTION_END}\n${BENCH_SECTION_BEGIN}\n`, 'x')).toThrow(/comes before/);
  });

  it('is published by a full run of the service as it ships, and by no other', () => {
    const full = { quick: false, scenariosFiltered: false, serviceSettings: 0, failed: false };
    expect(notPublishedBecause(full)).toBeNull();
    expect(notPublishedBecause({ ...full, quick: true })).toMatch(/--quick/);
    expect(notPublishedBecause({ ...full, scenariosFiltered: true })).toMatch(/--scenarios/);
    expect(notPublishedBecause({ ...full, serviceSettings: 1 })).toMatch(/--service-env/);
    expect(notPublishedBecause({ ...full, failed: true })).toMatch(/errors/);
  });

  it("has its markers in docs/benchmark.md, so that the benchmark's rewrite applies there", () => {
    const document = readFileSync(path.join(ROOT, BENCH_DOC_FILE), 'utf8');
    expect(() => replaceBenchSection(document, 'x')).not.toThrow();
  });
});
