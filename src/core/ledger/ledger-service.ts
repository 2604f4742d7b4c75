import type { AccountService } from '../accounts/account-service';
import { ValidationError } from '../../shared/errors';
import { INT64_MAX } from '../../shared/validation';
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
}

/** The cursor is the account version of the last entry shown; entries below it come next. */
function encodeCursor(version: bigint): string {
  return Buffer.from(`v1:${version}`).toString('base64url');
}

function decodeCursor(cursor: string): bigint {
  const match = /^v1:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const version = match ? BigInt(match[1]!) : undefined;
  if (version === undefined || version > INT64_MAX) throw new ValidationError('cursor is not valid');
  return version;
}
