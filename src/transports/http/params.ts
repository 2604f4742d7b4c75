import { ValidationError } from '../../shared/errors';
import { INT64_MAX } from '../../shared/validation';

/** A login from a URL path segment: a positive 63-bit integer. */
export function pathLogin(value: unknown): bigint {
  return pathId(value, 'login');
}

/** An id (a login, a journal entry, a run) from a URL path segment: a positive 63-bit integer. */
export function pathId(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value))
    throw new ValidationError(`${name} must be a positive integer`);
  const parsed = BigInt(value);
  if (parsed < 1n || parsed > INT64_MAX) throw new ValidationError(`${name} must be a positive integer`);
  return parsed;
}
