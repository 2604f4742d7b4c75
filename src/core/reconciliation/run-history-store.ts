import { bindings, type Database } from '../../db/database';
import { stringifyJson } from '../../shared/json';
import type { GroupPart, MatchItem, MatchKind, MatchOutcome } from './matching';
import { STREAM_BATCH_ROWS, streamedQuery } from '../../db/streamed-query';
import type { Period } from './reconciliation-store';

/**
 * How long the history keeps reconciliation runs and dry-run matches, in days: each check or dry run
 * (a cron calling GET /admin/reconciliation, a dry run of 200,000 rows) is written, so the history
 * would otherwise grow without end. Applied matches are records of what was decided: kept.
 */
export const RUN_HISTORY_RETENTION_DAYS = 400;
/** Runs one maintenance pass forgets at most (a first pass over a long history stays short). */
const RUNS_PRUNED_PER_PASS_MAX = 500;

export type RunKind = 'reconciliation' | 'match';

export interface NewRun {
  kind: RunKind;
  /** Who ran it: `admin-api`, `cli:<os user>`, a console user. */
  actor: string;
  /** A match's dry run (true) or applied run (false); null for a reconciliation. */
  dryRun: boolean | null;
  period: Period;
  options: Record<string, unknown>;
  /** The few numbers a list of runs shows (counts, clean...). */
  summary: Record<string, unknown>;
}

export interface Run extends NewRun {
  id: bigint;
  createdAt: Date;
}

interface RunRow {
  id: string;
  kind: RunKind;
  actor: string;
  dry_run: boolean | null;
  period_from: Date;
  period_to: Date;
  options: Record<string, unknown>;
  summary: Record<string, unknown>;
  created_at: Date;
}

interface ItemRow {
  outcome: MatchOutcome;
  match_kind: MatchKind;
  reference: string;
  currency: string | null;
  external_minor: string | null;
  ledger_minor: string | null;
  lines: number[];
  parts: Array<Omit<GroupPart, 'amountMinor'> & { amountMinor: string | null }> | null;
  detail: { detail?: string } | null;
}

const RUN_COLUMNS = 'id::text, kind, actor, dry_run, period_from, period_to, options, summary, created_at';

/**
 * The history of reconciliation and matching runs, on the primary: every run with who ran it, its
 * period, options and answer, and a match's items in order. A run and its items are written in one
 * transaction: a run is in the history whole or not at all.
 */
export class RunHistoryStore {
  constructor(private readonly db: Database) {}

  /** Forgets reconciliation runs and dry-run matches older than RUN_HISTORY_RETENTION_DAYS, items first, in one transaction. */
  async prune(): Promise<void> {
    await this.db.transaction(async (trx) => {
      const runIds: string[] = await trx('reconciliation_runs')
        .where((prunable) => prunable.where('kind', 'reconciliation').orWhere('dry_run', true))
        .where('created_at', '<', trx.raw('now() - make_interval(days => ?)', [RUN_HISTORY_RETENTION_DAYS]))
        .orderBy('id')
        .limit(RUNS_PRUNED_PER_PASS_MAX)
        .pluck('id');
      if (runIds.length === 0) return;
      await trx('reconciliation_matches').whereIn('run_id', runIds).delete();
      await trx('reconciliation_runs').whereIn('id', runIds).delete();
    });
  }

  /**
   * Saves a run; `result(runId)` is its answer as the caller gives it (which names the run's id),
   * kept as it is to be reopened.
   */
  async record(run: NewRun, result: (runId: string) => unknown, items: Iterable<MatchItem> = []): Promise<string> {
    return this.db.transaction(async (trx) => {
      // the id first, so that the row is written once with the answer that names it (a report can be
      // large: inserting then updating it would write it twice and leave a dead copy)
      const { rows } = await trx.raw<{ rows: { id: string }[] }>(
        `SELECT nextval(pg_get_serial_sequence('reconciliation_runs', 'id'))::text AS id`,
      );
      const runId = rows[0]!.id;
      await trx.raw(
        `INSERT INTO reconciliation_runs (id, kind, actor, dry_run, period_from, period_to, options, summary, result)
         OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        bindings([
          runId,
          run.kind,
          run.actor,
          run.dryRun,
          run.period.from,
          run.period.to,
          stringifyJson(run.options),
          stringifyJson(run.summary),
          stringifyJson(result(runId)),
        ]),
      );
      // a batch at a time: the items may be made as they are written (a match of 200,000 rows)
      let position = 0;
      for (const batch of batches(items, STREAM_BATCH_ROWS)) {
        await trx('reconciliation_matches').insert(
          batch.map((item) => ({
            run_id: runId,
            position: position++,
            outcome: item.outcome,
            match_kind: item.kind,
            reference: item.reference,
            external_minor: item.externalMinor?.toString() ?? null,
            ledger_minor: item.ledgerMinor?.toString() ?? null,
            currency: item.currency,
            lines: item.lines,
            // amounts as text: jsonb would read big integers back as doubles
            parts: item.parts
              ? JSON.stringify(
                  item.parts.map((part) => ({ ...part, amountMinor: part.amountMinor?.toString() ?? null })),
                )
              : null,
            detail: item.detail === undefined ? null : JSON.stringify({ detail: item.detail }),
          })),
        );
      }
      return runId;
    });
  }

  /** Up to `limit` runs, newest first, of one kind or all, below `beforeId` when given. */
  async list(kind: RunKind | undefined, beforeId: bigint | null, limit: number): Promise<Run[]> {
    const { rows } = await this.db.raw<{ rows: RunRow[] }>(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs r
        WHERE (?::text IS NULL OR r.kind = ?) AND (?::bigint IS NULL OR r.id < ?)
        ORDER BY r.id DESC LIMIT ?`,
      bindings([kind ?? null, kind ?? null, beforeId, beforeId, limit]),
    );
    return rows.map(toRun);
  }

  async find(id: bigint): Promise<Run | undefined> {
    return (await this.findWith(id, false))?.run;
  }

  /**
   * A run and its answer as it was given (null for runs saved before the history kept answers), in
   * one read. The answer's numbers are counts and seconds (amounts and ids are text), so JSON reads
   * them back exactly.
   */
  async findWithResult(id: bigint): Promise<{ run: Run; result: Record<string, unknown> | null } | undefined> {
    return this.findWith(id, true);
  }

  private async findWith(
    id: bigint,
    withResult: boolean,
  ): Promise<{ run: Run; result: Record<string, unknown> | null } | undefined> {
    const { rows } = await this.db.raw<{ rows: Array<RunRow & { result: Record<string, unknown> | null }> }>(
      `SELECT ${RUN_COLUMNS}, ${withResult ? 'result' : 'NULL::jsonb AS result'} FROM reconciliation_runs WHERE id = ?`,
      bindings([id]),
    );
    const row = rows[0];
    return row && { run: toRun(row), result: row.result ?? null };
  }

  /** A match run's items in the order they were found, streamed. */
  async *items(runId: bigint): AsyncIterable<MatchItem> {
    const rows = streamedQuery<ItemRow>(
      this.db,
      `SELECT outcome, match_kind, reference, currency, external_minor::text, ledger_minor::text, lines, parts, detail
         FROM reconciliation_matches WHERE run_id = ? ORDER BY position`,
      [runId],
    );
    for await (const row of rows) yield toItem(row);
  }
}

function toRun(row: RunRow): Run {
  return {
    id: BigInt(row.id),
    kind: row.kind,
    actor: row.actor,
    dryRun: row.dry_run,
    period: { from: row.period_from, to: row.period_to },
    options: row.options,
    summary: row.summary,
    createdAt: row.created_at,
  };
}

function toItem(row: ItemRow): MatchItem {
  const minor = (value: string | null) => (value === null ? null : BigInt(value));
  return {
    outcome: row.outcome,
    kind: row.match_kind,
    reference: row.reference,
    currency: row.currency,
    externalMinor: minor(row.external_minor),
    ledgerMinor: minor(row.ledger_minor),
    lines: row.lines,
    ...(row.parts ? { parts: row.parts.map((part) => ({ ...part, amountMinor: minor(part.amountMinor) })) } : {}),
    ...(row.detail?.detail === undefined ? {} : { detail: row.detail.detail }),
  };
}

function* batches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
