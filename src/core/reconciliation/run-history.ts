import { RecordNotFoundError, ValidationError } from '../../shared/errors';
import { decodeCursor, encodeCursor } from '../../shared/page-cursor';
import { DOWNLOAD_ACTIONS, type AuditLog, type Download } from '../audit/audit-log';
import type { MatchItem } from './matching';
import type { Run, RunHistoryStore, RunKind } from './run-history-store';

/** Page sizes of the run history, in runs. */
export const RUN_PAGE_SIZE_DEFAULT = 20;
export const RUN_PAGE_SIZE_MAX = 100;

export interface RunPage {
  items: Run[];
  /** Opaque cursor of the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The history of reconciliation and matching runs (they record themselves as they run): listed
 * newest first, each reopened with its answer as it was given, a match run's items read back.
 */
export class RunHistory {
  constructor(
    private readonly store: RunHistoryStore,
    private readonly audit: AuditLog,
  ) {}

  /** The cursor is the id of the last run shown; older runs come next. */
  async list(kind: RunKind | undefined, cursor: string | null, limit: number): Promise<RunPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > RUN_PAGE_SIZE_MAX)
      throw new ValidationError(`limit must be from 1 to ${RUN_PAGE_SIZE_MAX}`);
    const runs = await this.store.list(kind, cursor === null ? null : decodeCursor(cursor), limit + 1);
    const hasMore = runs.length > limit;
    const page = hasMore ? runs.slice(0, limit) : runs;
    return { items: page, nextCursor: hasMore ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  /** A run with its answer (null for a match applied before the history kept answers). */
  async get(id: bigint): Promise<{ run: Run; result: Record<string, unknown> | null }> {
    return existing(id, await this.store.findWithResult(id));
  }

  /**
   * A match run and its items, in the order they were found, for `download` (recorded in the audit
   * log once the run is found); a reconciliation run has none.
   */
  async matchItems(id: bigint, download: Download): Promise<{ run: Run; items: AsyncIterable<MatchItem> }> {
    const run = await this.find(id);
    if (run.kind !== 'match')
      throw new RecordNotFoundError(`run ${id} is a ${run.kind} run: only a match run has items`);
    await this.audit.downloaded(DOWNLOAD_ACTIONS.matchItems, download, String(id));
    return { run, items: this.store.items(id) };
  }

  private async find(id: bigint): Promise<Run> {
    return existing(id, await this.store.find(id));
  }
}

function existing<T>(id: bigint, found: T | undefined): T {
  if (found === undefined) throw new RecordNotFoundError(`run ${id} does not exist`);
  return found;
}
