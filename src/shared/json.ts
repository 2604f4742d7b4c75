import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { ValidationError } from './errors';

/**
 * JSON that keeps every number's decimal text: amounts sent as JSON numbers (`"amount": 250.10`)
 * are read exactly by their text, never through a binary double.
 */
export { isLosslessNumber, LosslessNumber };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses raw bytes as one JSON object. Invalid UTF-8, invalid JSON or any value that is not a plain
 * object is a ValidationError: a number is parsed as a LosslessNumber, an object of its own class,
 * so "is an object" is not enough; only what the parser makes of `{...}` passes.
 */
export function parseJsonObject(raw: Buffer | string): Record<string, unknown> {
  let value: unknown;
  try {
    const text = typeof raw === 'string' ? raw : utf8.decode(raw);
    value = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new ValidationError(`the body is not valid JSON: ${reason.slice(0, 200)}`);
  }
  if (!isPlainObject(value)) {
    throw new ValidationError('the body must be a JSON object');
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Serialises JSON keeping LosslessNumber texts and writing bigints as plain integers. */
export function stringifyJson(value: unknown): string {
  const text = stringify(value, (_key, inner) =>
    typeof inner === 'bigint' ? new LosslessNumber(inner.toString()) : inner,
  );
  if (text === undefined) throw new TypeError('value cannot be serialised as JSON');
  return text;
}

/** The text of a top-level field as the client sent it: strings as they are, anything else as JSON. */
export function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  return stringifyJson(value);
}
