import { ValidationError } from '../../shared/errors';

/** A currency and its scale: the number of decimals of its minor unit (USD 2 = cents). */
export interface Currency {
  readonly code: string;
  readonly scale: number;
}

/**
 * The currencies the service knows. The `currencies` table holds the same rows (seeded by a
 * migration, checked against this list at start-up) so that SQL can format amounts too.
 */
export const CURRENCIES: readonly Currency[] = [
  { code: 'USD', scale: 2 },
  { code: 'EUR', scale: 2 },
  { code: 'GBP', scale: 2 },
  { code: 'JPY', scale: 0 },
  { code: 'USDT', scale: 6 },
  { code: 'BTC', scale: 8 },
];

const CURRENCY_BY_CODE = new Map(CURRENCIES.map((currency) => [currency.code, currency]));

export function findCurrency(code: string): Currency | undefined {
  return CURRENCY_BY_CODE.get(code);
}

export function requireCurrency(code: string): Currency {
  const currency = findCurrency(code);
  if (!currency) throw new ValidationError(`unknown currency ${JSON.stringify(code)}`, { currency: code });
  return currency;
}
