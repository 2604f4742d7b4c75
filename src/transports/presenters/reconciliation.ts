import { periodDetail } from '../../core/reconciliation/period';
import type { PointInTimeBalance } from '../../core/reconciliation/reconciliation-service';
import type { DailyTotalRow } from '../../core/reconciliation/reconciliation-store';
import type { Run, RunKind } from '../../core/reconciliation/run-history-store';
import { unitsOf } from './units';

/** A point-in-time balance: the buckets, in currency units, as the account's last entry before `at` left them. */
export interface PresentedBalanceAt {
  login: bigint;
  currency: string;
  at: string;
  balance: string;
  credit: string;
  held: string;
  available: string;
  /** The entry that left them; null before the account's first entry. */
  entry: { id: bigint; version: bigint; createdAt: string } | null;
}

export function presentBalanceAt(balance: PointInTimeBalance): PresentedBalanceAt {
  const units = unitsOf(balance.account.currency);
  const amount = (minor: string) => units(BigInt(minor));
  const { buckets, entry } = balance;
  return {
    login: balance.account.login,
    currency: balance.account.currency,
    at: balance.at.toISOString(),
    balance: amount(buckets.balance_minor),
    credit: amount(buckets.credit_minor),
    held: amount(buckets.held_minor),
    available: units(BigInt(buckets.balance_minor) + BigInt(buckets.credit_minor)),
    entry: entry
      ? { id: BigInt(entry.id), version: BigInt(entry.version), createdAt: entry.createdAt.toISOString() }
      : null,
  };
}

/** A run of the history (its answer apart). */
export interface PresentedRun {
  id: string;
  kind: RunKind;
  actor: string;
  createdAt: string;
  /** A match's dry run (true) or applied run (false); null for a reconciliation. */
  dryRun: boolean | null;
  period: { from: string; to: string };
  options: Record<string, unknown>;
  summary: Record<string, unknown>;
}

export function presentRun(run: Run): PresentedRun {
  return {
    id: run.id.toString(),
    kind: run.kind,
    actor: run.actor,
    createdAt: run.createdAt.toISOString(),
    dryRun: run.dryRun,
    period: periodDetail(run.period),
    options: run.options,
    summary: run.summary,
  };
}

/** One day's sums of one operation in one currency, in its units. */
export interface PresentedDailyTotal {
  day: string;
  currency: string;
  operation: string;
  entries: number;
  balance: string;
  credit: string;
  held: string;
}

export function presentDailyTotal(row: DailyTotalRow): PresentedDailyTotal {
  const units = unitsOf(row.currency);
  return {
    day: row.day,
    currency: row.currency,
    operation: row.operation,
    entries: Number(row.entries),
    balance: units(BigInt(row.balance_minor)),
    credit: units(BigInt(row.credit_minor)),
    held: units(BigInt(row.held_minor)),
  };
}
