import { z } from 'zod';
import { isLosslessNumber, type LosslessNumber } from './json';
import { ValidationError } from './errors';

/** A JSON number kept as its decimal text (see shared/json.ts). */
const jsonNumber = z.custom<LosslessNumber>((value) => isLosslessNumber(value), { message: 'expected a number' });

/** An amount: a decimal string or a JSON number, returned as its exact decimal text. */
export const decimalText = z
  .union([z.string().max(64), jsonNumber], { message: 'expected a decimal string or number' })
  .transform((value) => (typeof value === 'string' ? value : value.value));

const INTEGER_TEXT = /^-?\d{1,19}$/;

/** A JSON integer (no fraction, no exponent) read exactly as a bigint within [min, max]. */
export function jsonInteger(min: bigint, max: bigint) {
  return jsonNumber.transform((value, context) => {
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
  });
}

export const INT64_MAX = 2n ** 63n - 1n;
/** Account logins: positive 63-bit integers. */
export const login = jsonInteger(1n, INT64_MAX);

/** Strings with a length limit and no control characters (they end up in logs and CSV exports). */
export function text(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((value) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value), 'control characters are not allowed');
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
