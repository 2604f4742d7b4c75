import { z } from 'zod';
import { isLosslessNumber, type LosslessNumber } from './json';
import { ValidationError } from './errors';

/** A JSON number kept as its decimal text (see shared/json.ts). */
const jsonNumber = z
  .custom<LosslessNumber>((value) => isLosslessNumber(value), { message: 'expected a number' })
  .meta({ type: 'number' });

/** An amount: a decimal string or a JSON number, returned as its exact decimal text. */
export const decimalText = z
  .union([z.string().max(64), jsonNumber], { message: 'expected a decimal string or number' })
  .transform((value) => (typeof value === 'string' ? value : value.value))
  .meta({
    description: "a decimal string (or a JSON number, read exactly by its text) with at most the currency's decimals",
    examples: ['100.00'],
  });

const INTEGER_TEXT = /^-?\d{1,19}$/;

/** A JSON integer (no fraction, no exponent) read exactly as a bigint within [min, max]. */
export function jsonInteger(min: bigint, max: bigint) {
  const safe = (bound: bigint) =>
    bound >= BigInt(Number.MIN_SAFE_INTEGER) && bound <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bound) : undefined;
  const bounds = {
    type: 'integer',
    minimum: safe(min),
    maximum: safe(max),
    description: `an integer from ${min} to ${max}, read exactly`,
  };
  return jsonNumber
    .transform((value, context) => {
      if (!INTEGER_TEXT.test(value.value)) {
        context.addIssue({ code: 'custom', message: 'expected an integer' });
        return z.NEVER;
      }
      const integer = BigInt(value.value);
      if (integer < min || integer > max) {
        context.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return integer;
    })
    .meta(bounds);
}

export const INT64_MAX = 2n ** 63n - 1n;
/** Account logins: positive 63-bit integers. */
export const login = jsonInteger(1n, INT64_MAX);

/** Characters refused in every text field (a NUL, a bell, an escape...); tab, newline and return are allowed. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True for text PostgreSQL stores exactly as sent: well-formed Unicode (a lone surrogate would be
 * replaced by U+FFFD, so two different keys could become one) and no NUL (refused by text/jsonb).
 */
function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** Strings with a length limit, storable, and no control characters (they end up in logs and CSV). */
export function text(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine(isStorableText, 'must be well-formed Unicode')
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'control characters are not allowed');
}

/** Any JSON value whose strings (keys included) are all storable, nested at most `depthMax` deep. */
export function storableJson(depthMax: number) {
  return z
    .unknown()
    .refine(
      (value) => isStorableJson(value, depthMax),
      `must be JSON of storable text nested at most ${depthMax} deep`,
    );
}

function isStorableJson(value: unknown, depthLeft: number): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (value === null || typeof value !== 'object') return true;
  if (depthLeft === 0) return false;
  const entries = Array.isArray(value) ? value.map((item) => ['', item] as const) : Object.entries(value);
  return entries.every(([key, item]) => isStorableText(key) && isStorableJson(item, depthLeft - 1));
}

/** Parses with a zod schema; every problem becomes one ValidationError listing the fields. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${where}: ${issue.message}`;
  });
  throw new ValidationError(problems.join('; '), { problems });
}
