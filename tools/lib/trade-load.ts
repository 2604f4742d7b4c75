/**
 * The trading workload shared by the HTTP scenarios and their db-direct baselines: pick an
 * account, open a small stake, close it with a loss, a tie or a win.
 */

export const BENCH_CURRENCY = 'USD';
/** Every trade stakes this much (USD): small against the deposits, so refusals stay rare. */
export const STAKE = '1.00';
export const STAKE_MINOR = 100n;
/** Loss, tie, win: they average the stake, so balances do not drift however long a run lasts. */
const PAYOUTS_MINOR = [0n, 100n, 200n] as const;

/** Deposit of each spread account and of the hot account (which carries every trade alone). */
export const SPREAD_DEPOSIT = '1000.00';
export const HOT_DEPOSIT = '1000000.00';
/** Login ranges of the benchmark's accounts (the database is fresh, so any range is free). */
export const HOT_LOGIN = 1_000_001;
export const SPREAD_FIRST_LOGIN = 2_000_001;

export function pickIndex(count: number): number {
  return Math.floor(Math.random() * count);
}

export function pickPayoutMinor(): bigint {
  return PAYOUTS_MINOR[pickIndex(PAYOUTS_MINOR.length)]!;
}

/** USD minor units as the decimal text the platform sends. */
export function usdText(minor: bigint): string {
  const cents = minor % 100n;
  return `${minor / 100n}.${cents.toString().padStart(2, '0')}`;
}

/** A trade key unique within the run's fresh database. */
export function tradeId(scenario: string, worker: number, iteration: number): string {
  return `${scenario}:${worker}:${iteration}`;
}
