/**
 * spread-half: issue 5's latency target "p99 below 10 ms for closetrade at half of the spread
 * throughput". An open loop (runPaced) starts opentrade + closetrade pairs on the spread accounts
 * at a fixed rate: half of the requests/s that `spread` measured earlier in this run (or --rate),
 * with at most PACED_IN_FLIGHT_MAX pairs in flight; a start refused for that bound is an error.
 * closetrade and opentrade latencies are reported apart.
 */
import { WalletClient } from '@wallet-service/client';
import type { LatencySummary } from './latency';
import { runPaced } from './load';
import { skippedMeasurement, type BenchContext, type Scenario, type ScenarioMeasurement } from './scenario';
import { pickIndex, tradeId } from './trade-load';
import { tradePair } from './wallet-scenarios';

/** Pairs in flight at most (the service's HTTP clients in the other scenarios are 64 too). */
export const PACED_IN_FLIGHT_MAX = 64;
/** Requests of one pair: opentrade and closetrade. */
const REQUESTS_PER_PAIR = 2;

export interface PacedFigures {
  /** Where the rate came from: "half of spread" or "--rate". */
  rateSource: string;
  targetRequestsPerS: number;
  targetPairsPerS: number;
  planned: number;
  started: number;
  refused: number;
  maxInFlight: number;
  peakInFlight: number;
  opentrade: LatencySummary | null;
  closetrade: LatencySummary | null;
}

export function pacedHalfScenario(spec: { name: string; of: string; fraction: number }): Scenario {
  return {
    name: spec.name,
    description: `opentrade + closetrade pairs on the spread accounts started at a fixed rate (open loop, at most ${PACED_IN_FLIGHT_MAX} in flight): ${spec.fraction}x the requests/s "${spec.of}" measured, or --rate`,
    transport: 'http',
    run: (context) => runPacedPairs(spec, context),
  };
}

async function runPacedPairs(
  spec: { name: string; of: string; fraction: number },
  context: BenchContext,
): Promise<ScenarioMeasurement> {
  const { options } = context;
  const reference = context.measured(spec.of);
  let targetRequestsPerS: number;
  let rateSource: string;
  if (options.rate !== undefined) {
    targetRequestsPerS = options.rate;
    rateSource = '--rate';
  } else if (reference !== undefined && reference.skipped === undefined && reference.requestsPerS > 0) {
    targetRequestsPerS = reference.requestsPerS * spec.fraction;
    rateSource = `${spec.fraction} x ${spec.of} (${reference.requestsPerS.toFixed(0)} requests/s)`;
  } else {
    return skippedMeasurement(
      `"${spec.of}" did not run before it in this run and no --rate was given: nothing to pace at`,
    );
  }
  const accounts = await context.spreadAccounts();
  const targetPairsPerS = targetRequestsPerS / REQUESTS_PER_PAIR;
  process.stderr.write(
    `${spec.name}: ${targetRequestsPerS.toFixed(0)} requests/s (${targetPairsPerS.toFixed(1)} pairs/s) from ${rateSource}\n`,
  );
  const wallet = new WalletClient(context.service.baseUrl, context.credentials.walletSecret, {
    maxSockets: PACED_IN_FLIGHT_MAX,
  });
  try {
    const result = await runPaced(
      {
        startsPerS: targetPairsPerS,
        maxInFlight: PACED_IN_FLIGHT_MAX,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        window: context.window,
      },
      ({ iteration, meter }) =>
        tradePair(wallet, accounts[pickIndex(accounts.length)]!, tradeId(spec.name, 0, iteration), meter),
    );
    const figures: PacedFigures = {
      rateSource,
      targetRequestsPerS,
      targetPairsPerS,
      planned: result.planned,
      started: result.started,
      refused: result.refused,
      maxInFlight: result.maxInFlight,
      peakInFlight: result.peakInFlight,
      opentrade: result.latencyByKind?.opentrade ?? null,
      closetrade: result.latencyByKind?.closetrade ?? null,
    };
    return { ...result, accounts: accounts.length, extra: { ...figures } };
  } finally {
    wallet.close();
  }
}
