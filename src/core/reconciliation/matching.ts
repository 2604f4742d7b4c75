import { parseMinorUnits } from '../money/amount';
import { findCurrency } from '../money/currency';
import { ValidationError } from '../../shared/errors';

/**
 * Matching external records (a payment provider's or the trading platform's CSV) against the
 * ledger by reference, with an allowed amount drift: one to one, and, when asked, one file row to
 * several ledger records (its reference cell lists them) or several file rows to one ledger record
 * (they repeat its reference). Pure rules; the service feeds them.
 */
export type MatchOutcome =
  'matched' | 'amount_mismatch' | 'missing_in_ledger' | 'missing_in_file' | 'partially_missing';
export const MATCH_OUTCOMES: readonly MatchOutcome[] = [
  'matched',
  'amount_mismatch',
  'missing_in_ledger',
  'missing_in_file',
  'partially_missing',
];
export type MatchKind = 'one-to-one' | 'one-to-many' | 'many-to-one';

/** Records on either side of one group, at most (a row's reference list, a reference's rows). */
export const MATCH_GROUP_MEMBERS_MAX = 1000;
/**
 * Ledger references one file may name in all, at most: as many as it may have rows. Each is kept
 * in memory while the file is matched (a 20 MB file of `a;b;c;…` could otherwise name millions).
 */
export const MATCH_FILE_REFERENCES_MAX = 200_000;

export interface ExternalRecord {
  reference: string;
  /** Absolute amount in minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
  /** The row's date as epoch milliseconds (a number, not a Date: 200,000 rows are held at once). */
  dateMs: number | null;
  line: number;
}

export interface LedgerRecord {
  reference: string;
  /** Absolute amount in minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
}

/** One record of a group, on either side: a file row (its line) or a ledger record (null when missing). */
export interface GroupPart {
  side: 'file' | 'ledger';
  reference: string;
  /** The file line; null on the ledger side. */
  line: number | null;
  /** Minor units; null for a ledger record that is missing. */
  amountMinor: bigint | null;
  currency: string | null;
}

export interface MatchItem {
  outcome: MatchOutcome;
  kind: MatchKind;
  /** The file's reference as written (a one-to-many row's whole list), or the ledger record's. */
  reference: string;
  currency: string | null;
  /** Minor units: the file row, or the sum of a many-to-one group's rows. */
  externalMinor: bigint | null;
  /** Minor units: the ledger record, or the sum of a one-to-many group's records found. */
  ledgerMinor: bigint | null;
  /** The file lines behind the item (none for a ledger record missing in the file). */
  lines: number[];
  /** Every record of a one-to-many or many-to-one group, both sides. */
  parts?: GroupPart[];
  detail?: string;
}

/**
 * What the file's rows say about grouping: `referenceDelimiter` splits a row's reference into the
 * several ledger records it pays (one to many); `sumRepeated` makes rows that repeat a reference the
 * parts of that one ledger record (many to one) instead of invalid duplicates. Both off: one to one.
 */
export interface GroupingRules {
  referenceDelimiter: string | null;
  sumRepeated: boolean;
}

/** File rows and the ledger references they are compared with, as one unit of matching. */
export interface MatchGroup {
  kind: MatchKind;
  reference: string;
  rows: ExternalRecord[];
  ledgerReferences: string[];
}

export interface ColumnNames {
  reference: string;
  amount: string;
  currency: string;
  date: string;
}

export const DEFAULT_COLUMNS: ColumnNames = {
  reference: 'reference',
  amount: 'amount',
  currency: 'currency',
  date: 'date',
};

/** Compares one external record with the ledger record of the same reference. */
function compareRecords(external: ExternalRecord, ledger: LedgerRecord, driftMinor: bigint): MatchItem {
  const base = {
    kind: 'one-to-one' as const,
    reference: external.reference,
    currency: ledger.currency,
    externalMinor: external.amountMinor,
    ledgerMinor: ledger.amountMinor,
    lines: [external.line],
  };
  if (external.currency !== ledger.currency) {
    return {
      ...base,
      outcome: 'amount_mismatch',
      detail: `currency ${external.currency} in the file, ${ledger.currency} in the ledger`,
    };
  }
  return compareAmounts(base, driftMinor);
}

function compareAmounts<T extends { externalMinor: bigint; ledgerMinor: bigint }>(
  base: T,
  driftMinor: bigint,
): T & Pick<MatchItem, 'outcome' | 'detail'> {
  const difference = base.externalMinor - base.ledgerMinor;
  const withinDrift = (difference < 0n ? -difference : difference) <= driftMinor;
  return withinDrift
    ? { ...base, outcome: 'matched' }
    : { ...base, outcome: 'amount_mismatch', detail: `differs by ${difference} minor units` };
}

/**
 * Compares a group with the ledger records found for its references (`found`, by reference). One to
 * one is compareRecords. A group is matched when every ledger record is there, all in the file's
 * currency, and the two sides' sums differ by at most the drift (once for the group, not per part);
 * `missing_in_ledger` when none is there; `partially_missing` when only some are (the ledger amount is
 * then the sum of those found); else `amount_mismatch`, with a foreign currency or the difference told.
 */
export function compareGroup(
  group: MatchGroup,
  found: ReadonlyMap<string, LedgerRecord>,
  driftMinor: bigint,
): MatchItem {
  if (group.kind === 'one-to-one') {
    const [external] = group.rows as [ExternalRecord];
    const ledger = found.get(external.reference);
    return ledger
      ? compareRecords(external, ledger, driftMinor)
      : {
          outcome: 'missing_in_ledger',
          kind: 'one-to-one',
          reference: external.reference,
          currency: external.currency,
          externalMinor: external.amountMinor,
          ledgerMinor: null,
          lines: [external.line],
        };
  }
  // the rows of a group share their currency (readFile refuses a row that does not)
  const currency = group.rows[0]!.currency;
  const ledgers = group.ledgerReferences.map((reference) => ({ reference, record: found.get(reference) }));
  const parts: GroupPart[] = [
    ...group.rows.map((row) => ({
      side: 'file' as const,
      reference: row.reference,
      line: row.line,
      amountMinor: row.amountMinor,
      currency: row.currency,
    })),
    ...ledgers.map(({ reference, record }) => ({
      side: 'ledger' as const,
      reference,
      line: null,
      amountMinor: record?.amountMinor ?? null,
      currency: record?.currency ?? null,
    })),
  ];
  const base = {
    kind: group.kind,
    reference: group.reference,
    currency,
    externalMinor: sum(group.rows),
    lines: group.rows.map((row) => row.line),
    parts,
  };
  const missing = ledgers.filter((ledger) => !ledger.record).map((ledger) => ledger.reference);
  const present = ledgers.flatMap((ledger) => (ledger.record ? [ledger.record] : []));
  if (present.length === 0) return { ...base, outcome: 'missing_in_ledger', ledgerMinor: null };
  if (missing.length > 0)
    return {
      ...base,
      outcome: 'partially_missing',
      ledgerMinor: sum(present),
      detail: `not in the ledger: ${missing.join(', ')}`,
    };
  const foreign = present.find((record) => record.currency !== currency);
  if (foreign) {
    return {
      ...base,
      outcome: 'amount_mismatch',
      ledgerMinor: null,
      detail: `currency ${currency} in the file, ${foreign.currency} in the ledger (${foreign.reference})`,
    };
  }
  return compareAmounts({ ...base, ledgerMinor: sum(present) }, driftMinor);
}

function sum(records: ReadonlyArray<{ amountMinor: bigint }>): bigint {
  return records.reduce((total, record) => total + record.amountMinor, 0n);
}

/**
 * Puts each valid file row into its group under the grouping rules, or says why it cannot be (a
 * reference named twice, a group too large, a row of another currency than its group's). Every
 * ledger reference belongs to one group at most: a many-to-many tangle is refused row by row.
 */
export class Grouper {
  readonly groups: MatchGroup[] = [];
  private readonly byReference = new Map<string, MatchGroup>();
  private referencesNamed = 0;

  constructor(private readonly rules: GroupingRules) {}

  /** Adds the row, or returns why not. */
  add(row: ExternalRecord): string | undefined {
    const references =
      this.rules.referenceDelimiter === null
        ? [row.reference]
        : splitReferences(row.reference, this.rules.referenceDelimiter);
    if (references.length > MATCH_GROUP_MEMBERS_MAX)
      return `line ${row.line}: more than ${MATCH_GROUP_MEMBERS_MAX} references`;
    this.referencesNamed += references.length;
    if (this.referencesNamed > MATCH_FILE_REFERENCES_MAX) {
      throw new ValidationError(
        `a file may name at most ${MATCH_FILE_REFERENCES_MAX} ledger references in all (line ${row.line} passes it)`,
      );
    }
    const named = new Set<string>();
    for (const reference of references) {
      if (named.has(reference)) return `line ${row.line}: reference ${reference} is listed twice`;
      named.add(reference);
    }
    if (references.length === 1) {
      const reference = references[0]!;
      const group = this.byReference.get(reference);
      if (group) return this.addToGroup(group, { ...row, reference });
      return this.open({
        kind: 'one-to-one',
        reference,
        rows: [reference === row.reference ? row : { ...row, reference }],
        ledgerReferences: references,
      });
    }
    const taken = references.find((reference) => this.byReference.has(reference));
    if (taken !== undefined) return `line ${row.line}: reference ${taken} appears twice`;
    return this.open({ kind: 'one-to-many', reference: row.reference, rows: [row], ledgerReferences: references });
  }

  private addToGroup(group: MatchGroup, row: ExternalRecord): string | undefined {
    if (!this.rules.sumRepeated || group.kind === 'one-to-many')
      return `line ${row.line}: reference ${row.reference} appears twice`;
    if (group.rows.length >= MATCH_GROUP_MEMBERS_MAX)
      return `line ${row.line}: more than ${MATCH_GROUP_MEMBERS_MAX} rows for reference ${row.reference}`;
    const currency = group.rows[0]!.currency;
    if (row.currency !== currency)
      return `line ${row.line}: currency ${row.currency}, other rows of reference ${row.reference} are ${currency}`;
    group.kind = 'many-to-one';
    group.rows.push(row);
    return undefined;
  }

  private open(group: MatchGroup): undefined {
    this.groups.push(group);
    for (const reference of group.ledgerReferences) this.byReference.set(reference, group);
    return undefined;
  }

  /** The group a ledger reference belongs to. */
  claimedBy(reference: string): MatchGroup | undefined {
    return this.byReference.get(reference);
  }
}

/** A row's reference list: parts trimmed, empty ones (a trailing delimiter) dropped. */
function splitReferences(text: string, delimiter: string): string[] {
  const references = text
    .split(delimiter)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return references.length > 0 ? references : [text];
}

/**
 * Dates a file may carry: the matching period is derived from them (with a margin) and queried in
 * PostgreSQL, so a date at the ends of JavaScript's range would make an invalid period.
 */
const EXTERNAL_DATE_MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const EXTERNAL_DATE_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Reads one CSV row (an object keyed by header) into an external record, or explains why not. */
export function readExternalRow(
  row: Record<string, string | undefined>,
  columns: ColumnNames,
  line: number,
): ExternalRecord | string {
  const reference = row[columns.reference]?.trim();
  const currencyCode = row[columns.currency]?.trim().toUpperCase();
  const amountText = row[columns.amount]?.trim();
  if (!reference) return `line ${line}: no ${columns.reference}`;
  const currency = currencyCode ? findCurrency(currencyCode) : undefined;
  if (!currency) return `line ${line}: unknown currency ${JSON.stringify(currencyCode ?? '')}`;
  let amountMinor: bigint;
  try {
    amountMinor = parseMinorUnits(amountText ?? '', currency.scale);
  } catch {
    return `line ${line}: amount ${JSON.stringify(amountText ?? '')} is not a ${currency.code} amount`;
  }
  const dateText = row[columns.date]?.trim();
  const dateMs = dateText ? new Date(dateText).getTime() : null;
  if (dateMs !== null && Number.isNaN(dateMs)) return `line ${line}: date ${JSON.stringify(dateText)} is not a date`;
  if (dateMs !== null && (dateMs < EXTERNAL_DATE_MIN_MS || dateMs > EXTERNAL_DATE_MAX_MS)) {
    return `line ${line}: date ${JSON.stringify(dateText)} is not between 0001-01-01 and 9999-12-31`;
  }
  return {
    reference,
    amountMinor: amountMinor < 0n ? -amountMinor : amountMinor,
    currency: currency.code,
    dateMs,
    line,
  };
}
