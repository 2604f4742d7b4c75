import { ValidationError } from '../../shared/errors';

/**
 * Exact money. Amounts travel as decimal text and are stored as integers of minor units
 * (`bigint`); no binary floating point ever touches them.
 */

/** The largest amount of one operation, in minor units; keeps every bucket far from 2^63. */
export const AMOUNT_MINOR_MAX = 10n ** 18n - 1n;
/** Longest decimal text accepted for an amount, in characters. */
export const AMOUNT_TEXT_LENGTH_MAX = 64;
/** Largest exponent magnitude accepted in `1e3`-style input. */
const EXPONENT_ABS_MAX = 40;

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal text (`"100"`, `"0.10"`, `"1.0000000000"`, a JSON number's text such as `2.5e2`)
 * as minor units of a currency with `scale` decimals. More significant decimals than the scale
 * is an error; trailing zeros are fine. The sign is kept; callers check it.
 */
export function parseMinorUnits(text: string, scale: number): bigint {
  if (text.length === 0 || text.length > AMOUNT_TEXT_LENGTH_MAX) {
    throw new ValidationError(`amount must be a decimal of at most ${AMOUNT_TEXT_LENGTH_MAX} characters`);
  }
  const match = DECIMAL_TEXT.exec(text);
  if (!match) throw new ValidationError(`amount ${JSON.stringify(text)} is not a decimal number`);
  const [, minus, integerDigits, fractionDigits = '', exponentText = '0'] = match;
  const exponent = Number.parseInt(exponentText, 10);
  if (Math.abs(exponent) > EXPONENT_ABS_MAX) throw new ValidationError(`amount ${text} is out of range`);

  // value = digits * 10^(exponent - fractionDigits.length); we need value * 10^scale.
  const digits = BigInt(integerDigits + fractionDigits);
  const shift = scale + exponent - fractionDigits.length;
  let minor: bigint;
  if (shift >= 0) {
    minor = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) {
      throw new ValidationError(`amount ${text} has more than ${scale} decimals`, { scale });
    }
    minor = digits / divisor;
  }
  if (minor > AMOUNT_MINOR_MAX) throw new ValidationError(`amount ${text} is out of range`);
  return minus && minor !== 0n ? -minor : minor;
}

/** Writes minor units as a decimal text with exactly `scale` decimals: 218000n, 2 -> "2180.00". */
export function formatMinorUnits(minor: bigint, scale: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const integerPart = digits.slice(0, digits.length - scale);
  const fractionPart = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${integerPart}${fractionPart}`;
}

/** node-postgres returns BIGINT and NUMERIC as strings: read them exactly. */
export function minorFromDb(value: string | number | bigint): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new TypeError(`unsafe integer from database: ${value}`);
  }
  return BigInt(value);
}
