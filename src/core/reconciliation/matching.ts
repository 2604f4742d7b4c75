import { parseMinorUnits } from '../money/amount';
import { findCurrency } from '../money/currency';

/**
 * Matching external records (a payment provider's or the trading platform's CSV) against the
 * ledger, one to one by reference, with an allowed amount drift. Pure rules; the service feeds them.
 */
export type MatchOutcome = 'matched' | 'amount_mismatch' | 'missing_in_ledger' | 'missing_in_file';

export interface ExternalRecord {
  reference: string;
  /** Absolute amount in minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
  date: Date | null;
  line: number;
}

export interface LedgerRecord {
  reference: string;
  /** Absolute amount in minor units of `currency`. */
  amountMinor: bigint;
  currency: string;
  createdAt: Date;
}

export interface MatchItem {
  outcome: MatchOutcome;
  reference: string;
  currency: string | null;
  externalMinor: bigint | null;
  ledgerMinor: bigint | null;
  detail?: string;
}

export interface ColumnNames {
  reference: string;
  amount: string;
  currency: string;
  date: string;
}

export const DEFAULT_COLUMNS: ColumnNames = { reference: 'reference', amount: 'amount', currency: 'currency', date: 'date' };

/** Compares one external record with the ledger record of the same reference. */
export function compareRecords(external: ExternalRecord, ledger: LedgerRecord, driftMinor: bigint): MatchItem {
  const base = { reference: external.reference, currency: ledger.currency, externalMinor: external.amountMinor, ledgerMinor: ledger.amountMinor };
  if (external.currency !== ledger.currency) {
    return { ...base, outcome: 'amount_mismatch', detail: `currency ${external.currency} in the file, ${ledger.currency} in the ledger` };
  }
  const difference = external.amountMinor - ledger.amountMinor;
  const withinDrift = (difference < 0n ? -difference : difference) <= driftMinor;
  return withinDrift ? { ...base, outcome: 'matched' } : { ...base, outcome: 'amount_mismatch', detail: `differs by ${difference} minor units` };
}

/**
 * Dates a file may carry: the matching period is derived from them (with a margin) and queried in
 * PostgreSQL, so a date at the ends of JavaScript's range would make an invalid period.
 */
const EXTERNAL_DATE_MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const EXTERNAL_DATE_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Reads one CSV row (an object keyed by header) into an external record, or explains why not. */
export function readExternalRow(row: Record<string, string | undefined>, columns: ColumnNames, line: number): ExternalRecord | string {
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
  const date = dateText ? new Date(dateText) : null;
  if (date && Number.isNaN(date.getTime())) return `line ${line}: date ${JSON.stringify(dateText)} is not a date`;
  if (date && (date.getTime() < EXTERNAL_DATE_MIN_MS || date.getTime() > EXTERNAL_DATE_MAX_MS)) {
    return `line ${line}: date ${JSON.stringify(dateText)} is not between 0001-01-01 and 9999-12-31`;
  }
  return { reference, amountMinor: amountMinor < 0n ? -amountMinor : amountMinor, currency: currency.code, date, line };
}
