import type { AccountService } from '../accounts/account-service';
import { RecordNotFoundError, ValidationError } from '../../shared/errors';
import { decodeCursor, encodeCursor } from '../../shared/page-cursor';
import type { JournalEntry, LedgerStore } from './ledger-store';

/** Page sizes of ledger listings, in entries. */
export const LEDGER_PAGE_SIZE_DEFAULT = 50;
export const LEDGER_PAGE_SIZE_MAX = 500;

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
  ) {}

  /** The cursor is the account version of the last entry shown; entries below it come next. */
  async history(login: bigint, cursor: string | null, limit: number): Promise<LedgerPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > LEDGER_PAGE_SIZE_MAX) {
      throw new ValidationError(`limit must be from 1 to ${LEDGER_PAGE_SIZE_MAX}`);
    }
    await this.accounts.get(login);
    const items = await this.store.entriesOfAccount(login, cursor === null ? null : decodeCursor(cursor), limit + 1);
    const hasMore = items.length > limit;
    const page = hasMore ? items.slice(0, limit) : items;
    return { items: page, nextCursor: hasMore ? encodeCursor(page[page.length - 1]!.accountVersion) : null };
  }

  /** One journal entry with its postings: where a reconciliation discrepancy's entry ids lead. */
  async entry(id: bigint): Promise<JournalEntry> {
    const entry = await this.store.entry(id);
    if (!entry) throw new RecordNotFoundError(`journal entry ${id} does not exist`);
    return entry;
  }
}
