/**
 * The benchmark's targets (issue 5's, raised by issue 15), checked against the figures of one run
 * (ratios measured in the same run).
 * A target whose scenarios did not run is listed as not measured, never as met.
 */
import type { GrowthFigures } from './growth';
import type { PacedFigures } from './paced-scenarios';
import { formatColumns, ratioOf, type ScenarioResult } from './report';

export const TARGETS = {
  /** Issue 15: against pgbench's best tps (-M prepared, best of 4, 16 and 64 clients) in the same run. */
  spreadVsScale10: 1.5,
  hotVsScale1: 2.0,
  closetradeP99Ms: 10,
  /** A lone closetrade's p50 on the idle service, as a multiple of a bare node:http round trip's. */
  loneCloseTradeVsBareHttp: 2.0,
  growthP50Ratio: 1.2,
  managerSyncP99Ms: 25,
  /** BalanceInSync commands/s at 32 connections, as a multiple of spread's requests/s in the same run. */
  managerSyncVsSpread: 1.0,
  commitToEventP99Ms: 3,
  /** Peak RSS, in MB (10^6 bytes: the stricter reading of "200 MB"). */
  rssPeakMb: 200,
} as const;

const BYTES_PER_MIB = 1024 * 1024;

export interface TargetCheck {
  target: string;
  required: string;
  /** The figure, as printed; null when not measured in this run. */
  measured: string | null;
  value: number | null;
  /** null: not measured. */
  met: boolean | null;
  note?: string;
}

export function evaluateTargets(
  results: readonly ScenarioResult[],
  rssPeakMib: number,
  rssSamples: number,
): TargetCheck[] {
  const find = (name: string) => results.find((result) => result.name === name && result.skipped === undefined);
  const checks: TargetCheck[] = [];
  const check = (
    target: string,
    required: string,
    value: number | null,
    met: (value: number) => boolean,
    show: (value: number) => string,
    note?: string,
  ) => {
    checks.push({
      target,
      required,
      value,
      measured: value === null ? null : show(value),
      met: value === null ? null : met(value),
      ...(note ? { note } : {}),
    });
  };
  const times = (value: number) => `${value.toFixed(2)}x`;
  const millis = (value: number) => `${value.toFixed(2)} ms`;

  for (const [name, pgbench, nodeBaseline, required] of [
    ['spread', 'pgbench-scale10', 'tpcb-scale10', TARGETS.spreadVsScale10],
    ['hot', 'pgbench-scale1', 'tpcb-scale1', TARGETS.hotVsScale1],
  ] as const) {
    const result = find(name);
    // the anchor is the pgbench binary's best; where there is none, the Node TPC-B loop stands in (and says so)
    const vsBinary = result ? ratioOf(results, result, pgbench) : null;
    const vsNode = result ? ratioOf(results, result, nodeBaseline) : null;
    const anchor = vsBinary === null && vsNode !== null ? nodeBaseline : pgbench;
    check(
      `${name} ops/s vs ${anchor} tps`,
      `>= ${required.toFixed(1)}x`,
      vsBinary ?? vsNode,
      (value) => value >= required,
      times,
      vsBinary === null
        ? vsNode === null
          ? undefined
          : 'no pgbench binary: against the Node TPC-B loop'
        : vsNode === null
          ? undefined
          : `${times(vsNode)} vs ${nodeBaseline}`,
    );
  }

  const lone = find('lone')?.latencyByKind;
  const loneRatio = lone?.closetrade && lone['bare-http'] ? lone.closetrade.p50Ms / lone['bare-http'].p50Ms : null;
  check(
    'lone closetrade p50 vs bare-http p50',
    `<= ${TARGETS.loneCloseTradeVsBareHttp.toFixed(1)}x`,
    loneRatio,
    (value) => value <= TARGETS.loneCloseTradeVsBareHttp,
    times,
    lone?.closetrade && lone['bare-http']
      ? `${millis(lone.closetrade.p50Ms)} vs ${millis(lone['bare-http'].p50Ms)}`
      : undefined,
  );

  const paced = find('spread-half');
  const pacedFigures = paced?.extra as Partial<PacedFigures> | undefined;
  check(
    'spread-half closetrade p99',
    `< ${TARGETS.closetradeP99Ms} ms`,
    pacedFigures?.closetrade?.p99Ms ?? null,
    (value) => value < TARGETS.closetradeP99Ms,
    millis,
    pacedFigures?.targetRequestsPerS === undefined
      ? undefined
      : `at ${pacedFigures.targetRequestsPerS.toFixed(0)} requests/s, ${paced!.errors} errors`,
  );

  const growth = find('growth');
  const growthFigures = growth?.extra as Partial<GrowthFigures> | undefined;
  for (const kind of ['getbalance', 'opentrade'] as const) {
    const entries =
      growthFigures?.small && growthFigures.large
        ? `${growthFigures.large.entriesBefore.toLocaleString('en')} vs ${growthFigures.small.entriesBefore.toLocaleString('en')} entries`
        : undefined;
    check(
      `growth ${kind} p50 ratio`,
      `<= ${TARGETS.growthP50Ratio.toFixed(1)}x`,
      growthFigures?.p50Ratio?.[kind] ?? null,
      (value) => value <= TARGETS.growthP50Ratio,
      times,
      entries,
    );
  }

  const managerSync = find('manager-sync');
  const spread = find('spread');
  check(
    'manager-sync commands/s vs spread req/s',
    `>= ${TARGETS.managerSyncVsSpread.toFixed(1)}x`,
    managerSync && spread && spread.requestsPerS > 0 ? managerSync.requestsPerS / spread.requestsPerS : null,
    (value) => value >= TARGETS.managerSyncVsSpread,
    times,
    managerSync && spread ? `${managerSync.requestsPerS.toFixed(0)} vs ${spread.requestsPerS.toFixed(0)}` : undefined,
  );
  check(
    'manager-sync p99',
    `< ${TARGETS.managerSyncP99Ms} ms`,
    managerSync?.latency.p99Ms ?? null,
    (value) => value < TARGETS.managerSyncP99Ms,
    millis,
  );
  check(
    'event-fanout commit-to-event p99',
    `< ${TARGETS.commitToEventP99Ms} ms`,
    find('event-fanout')?.latency.p99Ms ?? null,
    (value) => value < TARGETS.commitToEventP99Ms,
    millis,
  );

  // The back office's heaviest work is measured apart (heavy-admin: each step must complete on the
  // service's heap settings); the target is the service's memory under every other workload.
  const heavy = find('heavy-admin');
  const others = results.filter((result) => result !== heavy && result.skipped === undefined);
  const loadPeakMib = heavy ? Math.max(0, ...others.map((result) => result.serviceRssPeakMib)) : rssPeakMib;
  const rssMb = rssSamples > 0 ? (loadPeakMib * BYTES_PER_MIB) / 1e6 : null;
  check(
    'service peak RSS',
    `< ${TARGETS.rssPeakMb} MB`,
    rssMb,
    (value) => value < TARGETS.rssPeakMb,
    (value) => `${value.toFixed(0)} MB`,
    rssMb === null
      ? undefined
      : heavy
        ? `${loadPeakMib.toFixed(0)} MiB, every scenario but heavy-admin (its steps completed, peak ${heavy.serviceRssPeakMib.toFixed(0)} MiB)`
        : `${rssPeakMib.toFixed(0)} MiB, over the whole run`,
  );
  return checks;
}

export function formatTargets(checks: readonly TargetCheck[]): string {
  return formatColumns(
    ['target (issue 15)', 'required', 'measured', 'met', 'note'],
    checks.map((check) => [
      check.target,
      check.required,
      check.measured ?? '-',
      check.met === null ? 'not measured' : check.met ? 'yes' : 'NO',
      check.note ?? '',
    ]),
    [4],
  );
}
