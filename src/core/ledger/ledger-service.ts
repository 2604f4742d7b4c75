import type { AccountService } from '../accounts/account-service';
import { DOWNLOAD_ACTIONS, type AuditLog, type Download } from '../audit/audit-log';
import { ADMIN_OPERATIONS, MANAGER_FINANCE_KINDS } from '../balance-operations/operation-kinds';
import { RecordNotFoundError, ValidationError } from '../../shared/errors';
import { decodeCursor, encodeCursor } from '../../shared/page-cursor';
import type { JournalEntry, LedgerFilter, LedgerStore } from './ledger-store';

/** Page sizes of ledger listings, in entries. */
export const LEDGER_PAGE_SIZE_DEFAULT = 50;
export const LEDGER_PAGE_SIZE_MAX = 500;

/** Longest reference a filter takes, in characters (a reference id is at most 128). */
export const LEDGER_REFERENCE_FILTER_LENGTH_MAX = 128;

/** The operations of wallet trades (written by wallet_open and wallet_close in wallet.sql). */
export const TRADE_OPERATIONS = { open: 'trade_open', close: 'trade_close' } as const;

/** Every operation a journal entry can carry: finance records (admin and manager names) and wallet trades. */
export const LEDGER_OPERATIONS: readonly string[] = [
  ...new Set([...Object.values(ADMIN_OPERATIONS), ...Object.values(MANAGER_FINANCE_KINDS)].map((kind) => kind.name)),
  TRADE_OPERATIONS.open,
  TRADE_OPERATIONS.close,
];

/** A filter as the audit log records it: what was given, times as ISO 8601. */
function filterDetail(filter: LedgerFilter): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter).map(([name, value]: [string, string | Date]) => [
      name,
      value instanceof Date ? value.toISOString() : value,
    ]),
  );
}

export interface LedgerPage {
  items: JournalEntry[];
  /** Opaque cursor of the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Reading the ledger: an account's history, newest first, with a stable cursor. */
export class LedgerService {
  constructor(
    private readonly store: LedgerStore,
    private readonly accounts: AccountService,
    private readonly audit: AuditLog,
  ) {}

  /**
   * The cursor is the account version of the last entry shown; entries below it come next (with the
   * same filter: a cursor is a position, not a query).
   */
  async history(login: bigint, cursor: string | null, limit: number, filter: LedgerFilter = {}): Promise<LedgerPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > LEDGER_PAGE_SIZE_MAX) {
      throw new ValidationError(`limit must be from 1 to ${LEDGER_PAGE_SIZE_MAX}`);
    }
    if (filter.operation !== undefined && !LEDGER_OPERATIONS.includes(filter.operation)) {
      throw new ValidationError(`operation must be one of ${LEDGER_OPERATIONS.join(', ')}`);
    }
    if (
      filter.reference !== undefined &&
      (filter.reference === '' || filter.reference.length > LEDGER_REFERENCE_FILTER_LENGTH_MAX)
    ) {
      throw new ValidationError(`reference must be 1 to ${LEDGER_REFERENCE_FILTER_LENGTH_MAX} characters`);
    }
    if (filter.from !== undefined && filter.to !== undefined && filter.from.getTime() > filter.to.getTime())
      throw new ValidationError('from must not be after to');
    await this.accounts.get(login);
    const items = await this.store.entriesOfAccount(
      login,
      cursor === null ? null : decodeCursor(cursor),
      limit + 1,
      filter,
    );
    const hasMore = items.length > limit;
    const page = hasMore ? items.slice(0, limit) : items;
    return { items: page, nextCursor: hasMore ? encodeCursor(page[page.length - 1]!.accountVersion) : null };
  }

  /**
   * Every entry of an account that passes the filter, newest first, for `download`: the first page
   * is read (an unknown account or a bad filter is refused before anything is handed out), the
   * download recorded in the audit log, then the pages follow one another as the rows are taken.
   */
  async download(login: bigint, filter: LedgerFilter, download: Download): Promise<AsyncIterable<JournalEntry>> {
    const first = await this.history(login, null, LEDGER_PAGE_SIZE_MAX, filter);
    await this.audit.downloaded(DOWNLOAD_ACTIONS.accountLedger, download, String(login), filterDetail(filter));
    return this.pagesFrom(login, filter, first);
  }

  private async *pagesFrom(login: bigint, filter: LedgerFilter, first: LedgerPage): AsyncIterable<JournalEntry> {
    let page = first;
    yield* page.items;
    while (page.nextCursor !== null) {
      page = await this.history(login, page.nextCursor, LEDGER_PAGE_SIZE_MAX, filter);
      yield* page.items;
    }
  }

  /** One journal entry with its postings: where a reconciliation discrepancy's entry ids lead. */
  async entry(id: bigint): Promise<JournalEntry> {
    const entry = await this.store.entry(id);
    if (!entry) throw new RecordNotFoundError(`journal entry ${id} does not exist`);
    return entry;
  }
}
