import { ValidationError } from '../shared/errors';
import type { Period } from './reconciliation-store';

const DAY_MS = 86_400_000;
/** The default report period: the last 30 days. */
export const DEFAULT_PERIOD_DAYS = 30;
/** "All time" for checks whose exceptions have no natural period. */
export const EPOCH = new Date('1970-01-01T00:00:00Z');

/** Reads `from`/`to` (ISO 8601 dates or times); missing ends default to the last `defaultDays`, or all time. */
export function readPeriod(from: string | undefined, to: string | undefined, defaultDays: number | 'all'): Period {
  const end = to ? parseDate(to, 'to') : new Date(Date.now() + (defaultDays === 'all' ? DAY_MS : 0));
  const start = from ? parseDate(from, 'from') : defaultDays === 'all' ? EPOCH : new Date(end.getTime() - defaultDays * DAY_MS);
  return { from: start, to: end };
}

function parseDate(text: string, name: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) throw new ValidationError(`${name} must be an ISO 8601 date such as 2026-11-01`);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new ValidationError(`${name} is not a valid date`);
  return date;
}
