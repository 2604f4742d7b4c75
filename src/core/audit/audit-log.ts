import type { Database } from '../../db/database';

/** Who did what: every action of a console user or of a machine key that changes or produces something. */
export interface AuditRecord {
  /** `user:<username>`, `admin-api`, `cli:<os user>` */
  actor: string;
  /** e.g. `login`, `logout`, `user.create`, `reconciliation.run`, `ledger.export` */
  action: string;
  /** What it was done to: a username, an account login, a run id. */
  target?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Pick<AuditRecord, 'actor' | 'action'>> {
  id: string;
  at: Date;
  target: string | null;
  detail: Record<string, unknown>;
}

/** Who takes ledger data away, and in what form (`csv`, `json`, `jsonl`). */
export interface Download {
  actor: string;
  format: 'csv' | 'json' | 'jsonl';
}

/**
 * What a download of ledger data is recorded as, whichever door it left by (console, admin API,
 * CLI): the core's reads that hand ledger data out record it themselves, before the first row.
 */
export const DOWNLOAD_ACTIONS = {
  statement: 'statement.download',
  accountLedger: 'ledger.download',
  ledgerExport: 'ledger.export',
  matchItems: 'match.items.download',
} as const;

/**
 * What a change made through the back office's machine door (the admin API, and any transport that
 * calls the same core services) is recorded as. Console users and runs have theirs beside their
 * services; balance operations are not here: the ledger keeps each with its actor.
 */
export const CHANGE_ACTIONS = {
  accountCreate: 'account.create',
  accountEnable: 'account.enable',
  accountDisable: 'account.disable',
  managerCreate: 'manager.create',
} as const;

/** Entries of one page of the audit log, newest first. */
export const AUDIT_PAGE_SIZE_MAX = 200;

export class AuditLog {
  constructor(private readonly db: Database) {}

  /**
   * `db` is the transaction of the change recorded, where there is one: the change and its row
   * commit together or not at all (no change goes unrecorded, no refused change is recorded).
   */
  async record(entry: AuditRecord, db: Database = this.db): Promise<void> {
    await db('audit_log').insert({
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  /** A download of ledger data, with its format beside what else the detail says (the period, the filter). */
  downloaded(
    action: (typeof DOWNLOAD_ACTIONS)[keyof typeof DOWNLOAD_ACTIONS],
    download: Download,
    target: string | null,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    return this.record({ actor: download.actor, action, target, detail: { ...detail, format: download.format } });
  }

  /**
   * Newest first; `beforeId` is the last id of the previous page. `nextBefore` is this page's last
   * id when older entries exist (one more row is read to know), else null: no empty last page.
   */
  async page(limit: number, beforeId?: bigint): Promise<{ entries: AuditEntry[]; nextBefore: string | null }> {
    const size = Math.min(limit, AUDIT_PAGE_SIZE_MAX);
    const query = this.db('audit_log')
      .orderBy('id', 'desc')
      .limit(size + 1);
    if (beforeId !== undefined) query.where('id', '<', beforeId.toString());
    const rows = await query.select<
      Array<{
        id: string;
        at: Date;
        actor: string;
        action: string;
        target: string | null;
        detail: Record<string, unknown>;
      }>
    >('id', 'at', 'actor', 'action', 'target', 'detail');
    const entries = rows.slice(0, size).map((row) => ({ ...row, id: String(row.id) }));
    return { entries, nextBefore: rows.length > size ? entries.at(-1)!.id : null };
  }
}
