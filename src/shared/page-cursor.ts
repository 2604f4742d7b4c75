import { ValidationError } from './errors';
import { INT64_MAX } from './validation';

/**
 * The opaque cursor of a page read newest first: the position (an account version, a run id) of the
 * last item shown; the items below it come next. Opaque so that its form may change (`v1:`).
 */
export function encodeCursor(position: bigint): string {
  return Buffer.from(`v1:${position}`).toString('base64url');
}

export function decodeCursor(cursor: string): bigint {
  const match = /^v1:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const position = match ? BigInt(match[1]!) : undefined;
  if (position === undefined || position > INT64_MAX) throw new ValidationError('cursor is not valid');
  return position;
}
