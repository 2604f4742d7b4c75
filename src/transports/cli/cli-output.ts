import type { Discrepancy, ReconciliationReport } from '../../core/reconciliation/reconciliation-service';
import type { MatchReport } from '../../core/reconciliation/match-service';
import type { Run } from '../../core/reconciliation/run-history-store';

/** How the command line writes reports and runs for a person at a terminal (JSON is --json's). */

export function printReport(report: ReconciliationReport): void {
  const line = (text: string) => process.stdout.write(`${text}\n`);
  line(
    `Reconciliation ${report.clean ? 'CLEAN' : 'FOUND DISCREPANCIES'} (${report.checkedAt}, period ${report.period.from} .. ${report.period.to})`,
  );
  if (report.replicaLagS !== null) line(`  read from a replica ${report.replicaLagS} s behind the primary`);
  for (const check of report.checks)
    line(
      `  ${check.discrepancies === 0 ? 'ok  ' : 'FAIL'} ${check.check}: ${check.description}${check.discrepancies ? ` (${check.discrepancies})` : ''}`,
    );
  const { exceptions } = report;
  line('Exceptions for review:');
  line(`  orphan closes: ${exceptions.orphanCloses.count}`);
  line(`  stale holds (open > ${report.staleHoldAgeS} s): ${exceptions.staleHolds.count}`);
  line(`  refused duplicates: ${exceptions.refusedDuplicates.count}`);
  line(`  sync timeouts: ${exceptions.syncTimeouts.count}`);
}

export function printMatchReport(report: MatchReport): void {
  process.stdout.write(
    `${report.dryRun ? 'Dry run' : 'Applied'}, kept as run ${report.runId}: ${report.fileRows} rows, ${JSON.stringify(report.counts)}, ${report.invalidRows.count} invalid\n`,
  );
  for (const total of report.totals) {
    process.stdout.write(
      `  ${total.currency} ${total.outcome}: ${total.count}, file ${total.fileAmount}, ledger ${total.ledgerAmount}\n`,
    );
  }
  for (const item of report.exceptions.items) {
    process.stdout.write(
      `  ${item.outcome} ${item.match} ${item.reference} ${item.currency ?? ''} file ${item.fileAmount ?? '-'} ledger ${item.ledgerAmount ?? '-'}${item.detail ? ` ${item.detail}` : ''}\n`,
    );
  }
  for (const problem of report.invalidRows.items) process.stdout.write(`  invalid: ${problem}\n`);
}

/** One line of the history: id, when, what, who, the period, and its outcome in a few numbers. */
export function describeRun(run: Run): string {
  const what = run.kind === 'match' ? `match (${run.dryRun ? 'dry run' : 'applied'})` : 'reconciliation';
  const summary = run.summary as { clean?: boolean; discrepancies?: number; counts?: Record<string, number> };
  const outcome =
    run.kind === 'match'
      ? JSON.stringify(summary.counts ?? {})
      : summary.clean
        ? 'clean'
        : `${summary.discrepancies} discrepancies`;
  return `${run.id}  ${run.createdAt.toISOString()}  ${what}  ${run.actor}  ${run.period.from.toISOString()} .. ${run.period.to.toISOString()}  ${outcome}`;
}

export function describeDiscrepancy(discrepancy: Discrepancy): string {
  const who = discrepancy.login ? `account ${discrepancy.login}` : 'ledger';
  const entries = discrepancy.entryIds.length > 0 ? ` entries ${discrepancy.entryIds.join(',')}` : '';
  return `  ${discrepancy.check}: ${who} ${discrepancy.subject ?? ''} expected ${discrepancy.expected} found ${discrepancy.found}${entries}`;
}
