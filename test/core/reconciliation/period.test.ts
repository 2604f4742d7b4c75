import { readMoment, readPeriod } from '../../../src/core/reconciliation/period';

/** The one period reader of the API, the console and the CLI: a pure rule, tested on its own. */

const iso = (date: Date) => date.toISOString();

it('reads a day as a whole UTC day, `to` included', () => {
  const period = readPeriod('2026-11-01', '2026-11-01', 30);
  expect([iso(period.from), iso(period.to)]).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
});

it.each([
  ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z'],
  ['2026-11-01T12:00:00.250Z', '2026-11-01T12:00:00.250Z'],
  ['2026-11-01T12:00:00+02:00', '2026-11-01T10:00:00.000Z'],
  ['2026-11-01T12:00:00-0130', '2026-11-01T13:30:00.000Z'],
  ['2026-11-01T12:00', '2026-11-01T12:00:00.000Z'],
  ['2026-11-01 12:00:00', '2026-11-01T12:00:00.000Z'],
])('reads the date-time %s as the instant %s (UTC when it names no zone)', (text, instant) => {
  expect(iso(readPeriod(text, undefined, 'all').from)).toBe(instant);
  expect(iso(readPeriod(undefined, text, 'all').to)).toBe(instant);
});

it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-11-01T25:00:00Z', 'yesterday', '1'])('refuses %s', (text) => {
  expect(() => readPeriod(text, undefined, 30)).toThrow(/from/);
});

it('refuses a period that ends before it starts', () => {
  expect(() => readPeriod('2026-11-03', '2026-11-01', 30)).toThrow('from must not be after to');
});

it('reads a moment: a day by its end, a date-time as it is', () => {
  expect(iso(readMoment('2026-11-30'))).toBe('2026-12-01T00:00:00.000Z');
  expect(iso(readMoment('2026-11-30T08:15:00Z'))).toBe('2026-11-30T08:15:00.000Z');
  expect(() => readMoment('2026-02-30')).toThrow('at is not a real date: 2026-02-30');
});
