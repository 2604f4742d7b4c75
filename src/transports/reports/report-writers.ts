import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { formatMinorUnits } from '../../core/money/amount';
import { requireCurrency } from '../../core/money/currency';
import { optionalUnits } from '../../core/reconciliation/match-service';
import type { MatchItem } from '../../core/reconciliation/matching';
import type { Statement } from '../../core/reconciliation/reconciliation-service';
import type { BucketRow, DailyTotalRow, EntryRow } from '../../core/reconciliation/reconciliation-store';
import type { JournalEntry } from '../../core/ledger/ledger-store';
import { periodDetail } from '../../core/reconciliation/period';
import { presentDailyTotal } from '../presenters/reconciliation';

/**
 * Writers of the finance team's reports, streaming into any Writable (an HTTP response, a file,
 * stdout). Amounts are plain decimals with the currency's decimals, so that a spreadsheet reads them
 * as numbers.
 */

const amount = (minor: string, currency: string) => formatMinorUnits(BigInt(minor), requireCurrency(currency).scale);

function buckets(row: BucketRow, currency: string) {
  return {
    balance: amount(row.balance_minor, currency),
    credit: amount(row.credit_minor, currency),
    held: amount(row.held_minor, currency),
  };
}

function entryFields(row: EntryRow) {
  return {
    entry_id: row.id,
    order: row.order_no,
    login: row.login,
    version: row.account_version,
    created_at: row.created_at.toISOString(),
    currency: row.currency,
    operation: row.operation,
    balance_change: amount(row.balance_delta_minor, row.currency),
    credit_change: amount(row.credit_delta_minor, row.currency),
    held_change: amount(row.held_delta_minor, row.currency),
    balance_after: amount(row.balance_after_minor, row.currency),
    credit_after: amount(row.credit_after_minor, row.currency),
    held_after: amount(row.held_after_minor, row.currency),
    actor_kind: row.actor_kind,
    actor: row.actor,
    reference_id: row.idempotency_key ?? '',
    comment: row.comment ?? '',
  };
}

/** A number as the writers print it (amounts, ids): a spreadsheet must read it as a number. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text a client wrote (a comment, a reference id) that a spreadsheet would run as a formula gets a
 * leading `'`, which shows it as the text it is; numbers stay numbers, so that amounts still sum.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

async function writeCsv(records: AsyncIterable<object>, columns: string[], sink: Writable): Promise<void> {
  await pipeline(
    Readable.from(records),
    stringify({ header: true, columns, cast: { string: neutraliseFormula } }),
    sink,
  );
}

const STATEMENT_COLUMNS = [
  'line',
  'created_at',
  'order',
  'operation',
  'balance_change',
  'credit_change',
  'held_change',
  'balance',
  'credit',
  'held',
  'reference_id',
  'comment',
];

/** Opening line, one line per entry, closing line. */
export function writeStatementCsv(statement: Statement, sink: Writable): Promise<void> {
  const { currency } = statement.account;
  async function* lines() {
    yield { line: 'opening', created_at: statement.period.from.toISOString(), ...buckets(statement.opening, currency) };
    for await (const row of statement.entries) {
      const entry = entryFields(row);
      yield {
        ...entry,
        line: 'entry',
        balance: entry.balance_after,
        credit: entry.credit_after,
        held: entry.held_after,
      };
    }
    yield { line: 'closing', created_at: statement.period.to.toISOString(), ...buckets(statement.closing(), currency) };
  }
  return writeCsv(lines(), STATEMENT_COLUMNS, sink);
}

/** `{login, currency, from, to, opening, entries: [...], closing}`, written as the entries stream. */
export async function writeStatementJson(statement: Statement, sink: Writable): Promise<void> {
  const { account, period } = statement;
  async function* chunks() {
    const head = { login: account.login.toString(), currency: account.currency, ...periodDetail(period) };
    const opening = JSON.stringify(buckets(statement.opening, account.currency));
    yield `${JSON.stringify(head).slice(0, -1)},"opening":${opening},"entries":[`;
    let first = true;
    for await (const row of statement.entries) {
      yield `${first ? '' : ','}${JSON.stringify(entryFields(row))}`;
      first = false;
    }
    yield `],"closing":${JSON.stringify(buckets(statement.closing(), account.currency))}}\n`;
  }
  await pipeline(Readable.from(chunks()), sink);
}

const ENTRY_COLUMNS = [
  'entry_id',
  'order',
  'login',
  'version',
  'created_at',
  'currency',
  'operation',
  'balance_change',
  'credit_change',
  'held_change',
  'balance_after',
  'credit_after',
  'held_after',
  'actor_kind',
  'actor',
  'reference_id',
  'comment',
];
const LEDGER_COLUMNS = [...ENTRY_COLUMNS, 'book', 'amount'];

type PostingRow = EntryRow & { book: string; amount_minor: string };

async function* ledgerLines(rows: AsyncIterable<PostingRow>) {
  for await (const row of rows)
    yield { ...entryFields(row), book: row.book, amount: amount(row.amount_minor, row.currency) };
}

/** One line per posting, with its entry's fields: the double-entry ledger as a finance system imports it. */
export function writeLedgerCsv(rows: AsyncIterable<PostingRow>, sink: Writable): Promise<void> {
  return writeCsv(ledgerLines(rows), LEDGER_COLUMNS, sink);
}

/** The same lines as JSON Lines: one object per posting and line, streamed. */
export async function writeLedgerJsonLines(rows: AsyncIterable<PostingRow>, sink: Writable): Promise<void> {
  async function* jsonLines() {
    for await (const line of ledgerLines(rows)) yield `${JSON.stringify(line)}\n`;
  }
  await pipeline(Readable.from(jsonLines()), sink);
}

export function writeDailyTotalsCsv(rows: AsyncIterable<DailyTotalRow>, sink: Writable): Promise<void> {
  async function* lines() {
    for await (const row of rows) yield presentDailyTotal(row);
  }
  return writeCsv(lines(), ['day', 'currency', 'operation', 'entries', 'balance', 'credit', 'held'], sink);
}

/** The same columns as a ledger line's entry fields, without its posting. */
const JOURNAL_ENTRY_COLUMNS = ENTRY_COLUMNS;

/** Journal entries (an account's ledger as the console filtered it), one line each, amounts in currency units. */
export function writeJournalEntriesCsv(entries: AsyncIterable<JournalEntry>, sink: Writable): Promise<void> {
  async function* lines() {
    for await (const entry of entries) {
      const { scale } = requireCurrency(entry.currency);
      const units = (minor: bigint) => formatMinorUnits(minor, scale);
      yield {
        entry_id: entry.id.toString(),
        order: entry.orderNo.toString(),
        login: entry.login.toString(),
        version: entry.accountVersion.toString(),
        created_at: entry.createdAt.toISOString(),
        currency: entry.currency,
        operation: entry.operation,
        balance_change: units(entry.balanceDeltaMinor),
        credit_change: units(entry.creditDeltaMinor),
        held_change: units(entry.heldDeltaMinor),
        balance_after: units(entry.balanceAfterMinor),
        credit_after: units(entry.creditAfterMinor),
        held_after: units(entry.heldAfterMinor),
        actor_kind: entry.actorKind,
        actor: entry.actor,
        reference_id: entry.idempotencyKey ?? '',
        comment: entry.comment ?? '',
      };
    }
  }
  return writeCsv(lines(), JOURNAL_ENTRY_COLUMNS, sink);
}

const MATCH_ITEM_COLUMNS = [
  'item',
  'outcome',
  'match',
  'reference',
  'currency',
  'file_amount',
  'ledger_amount',
  'difference',
  'file_lines',
  'parts',
  'detail',
];

/**
 * A match run's items, one line each, in the order they were found: amounts in currency units
 * (empty where a side has none), the file's lines, and a group's parts (`line 3=300.00; dep-1=100.00;
 * dep-2=missing`).
 */
export function writeMatchItemsCsv(items: AsyncIterable<MatchItem>, sink: Writable): Promise<void> {
  const units = (minor: bigint | null, currency: string | null) => optionalUnits(minor, currency) ?? '';
  async function* lines() {
    let position = 0;
    for await (const item of items) {
      position += 1;
      const bothSides = item.externalMinor !== null && item.ledgerMinor !== null;
      yield {
        item: position,
        outcome: item.outcome,
        match: item.kind,
        reference: item.reference,
        currency: item.currency ?? '',
        file_amount: units(item.externalMinor, item.currency),
        ledger_amount: units(item.ledgerMinor, item.currency),
        difference: bothSides ? units(item.externalMinor! - item.ledgerMinor!, item.currency) : '',
        file_lines: item.lines.join(' '),
        parts: (item.parts ?? [])
          .map((part) => {
            const amount = part.amountMinor === null ? 'missing' : units(part.amountMinor, part.currency);
            return `${part.side === 'file' ? `line ${part.line}` : part.reference}=${amount}`;
          })
          .join('; '),
        detail: item.detail ?? '',
      };
    }
  }
  return writeCsv(lines(), MATCH_ITEM_COLUMNS, sink);
}
