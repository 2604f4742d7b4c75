import { ValidationError } from '../../shared/errors';
import type { Period } from './reconciliation-store';

const DAY_MS = 86_400_000;
/** The default report period: the last 30 days. */
export const DEFAULT_PERIOD_DAYS = 30;
/** "All time" for checks whose exceptions have no natural period. */
export const EPOCH = new Date('1970-01-01T00:00:00Z');

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads `from`/`to` of every report (API, console and command line alike). A day (`2026-11-01`) is a
 * whole UTC day, `to` included: `from=2026-11-01&to=2026-11-01` is that one day. A date-time
 * (`2026-11-01T12:00:00Z`; UTC when it names no zone) is an instant; as `to` it is the end, excluded. Impossible dates
 * (`2026-02-30`) are refused, as is a period that ends before it starts. A missing `to` is now; a
 * missing `from` is `defaultDays` before the end, or all time (an empty text is a missing one).
 */
export function readPeriod(from: string | undefined, to: string | undefined, defaultDays: number | 'all'): Period {
  const end = to ? periodEnd(to) : new Date(Date.now() + (defaultDays === 'all' ? DAY_MS : 0));
  const start = from
    ? parseInstant(from, 'from')
    : defaultDays === 'all'
      ? EPOCH
      : new Date(end.getTime() - defaultDays * DAY_MS);
  if (start.getTime() > end.getTime()) throw new ValidationError('from must not be after to');
  return { from: start, to: end };
}

/**
 * A moment to read the books at (`at` of a point-in-time balance): a day is its end (the whole day
 * counted), a date-time is that instant; what was booked before it counts. Missing: now.
 */
export function readMoment(at: string | undefined): Date {
  return at ? periodEnd(at, 'at') : new Date();
}

/** A day's end is the start of the next day: the day itself is included. */
function periodEnd(text: string, name = 'to'): Date {
  const instant = parseInstant(text, name);
  return DAY.test(text) ? new Date(instant.getTime() + DAY_MS) : instant;
}

function parseInstant(text: string, name: string): Date {
  const parts = DAY.exec(text) ?? DATE_TIME.exec(text);
  if (!parts)
    throw new ValidationError(`${name} must be a day such as 2026-11-01, or a date-time such as 2026-11-01T12:00:00Z`);
  const [, year, month, day] = parts.map(Number) as [number, number, number, number];
  const zone = parts[6]; // the DATE_TIME group of Z or an offset
  const date = new Date(DAY.test(text) ? `${text}T00:00:00Z` : zone === undefined ? `${text}Z` : text);
  // Date() rolls 2026-02-30 over into March: a real day reads back as itself
  const calendarDay = new Date(0);
  calendarDay.setUTCFullYear(year, month - 1, day);
  const valid =
    !Number.isNaN(date.getTime()) &&
    year >= 1 &&
    calendarDay.getUTCFullYear() === year &&
    calendarDay.getUTCMonth() === month - 1 &&
    calendarDay.getUTCDate() === day;
  if (!valid) throw new ValidationError(`${name} is not a real date: ${text}`);
  return date;
}

/** A period as the audit log and the run history record it. */
export function periodDetail(period: Period): { from: string; to: string } {
  return { from: period.from.toISOString(), to: period.to.toISOString() };
}
