import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { FailureThrottle } from '../../core/access/failure-throttle';
import { TooManyAttemptsError, UnauthenticatedError } from '../../shared/errors';

/** Addresses an instance remembers as throttled (beyond, the oldest is forgotten first). */
export const THROTTLED_ADDRESSES_MAX = 10_000;

/**
 * `Authorization: Bearer <key>` against one configured key, compared in constant time (digests of
 * equal length, so neither the key nor its length leaks through timing). Wrong keys (not missing ones) are counted per
 * client address in PostgreSQL (every instance sees them); an address over its limit is refused
 * with 429 and Retry-After, the right key included, so that guessing gains nothing. A right key
 * costs no database access: the instance remembers the addresses it has found throttled.
 */
export function bearerAuth(expectedKey: string, realm: string, throttle: Pick<FailureThrottle, 'check' | 'recordFailure'>): RequestHandler {
  const expectedDigest = digest(expectedKey);
  const throttledUntilMs = new Map<string, number>();
  const remember = (address: string, retryAfterS: number) => {
    if (throttledUntilMs.size >= THROTTLED_ADDRESSES_MAX) throttledUntilMs.delete(throttledUntilMs.keys().next().value!);
    throttledUntilMs.set(address, Date.now() + retryAfterS * 1000);
  };
  return (req, res, next) => {
    const address = clientAddress(req);
    const untilMs = throttledUntilMs.get(address);
    if (untilMs !== undefined) {
      if (untilMs > Date.now()) {
        next(new TooManyAttemptsError('too many wrong keys from this address; try again later', { retryAfterS: Math.ceil((untilMs - Date.now()) / 1000) }));
        return;
      }
      throttledUntilMs.delete(address);
    }
    const match = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expectedDigest)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', `Bearer realm="${realm}"`);
    if (req.headers.authorization === undefined) {
      // no key is no guess: nothing to count
      next(new UnauthenticatedError(`a valid ${realm} bearer key is required`));
      return;
    }
    throttle
      .check(['bearer-address', address])
      .then(() => throttle.recordFailure(['bearer-address', address]))
      .then(() => next(new UnauthenticatedError(`a valid ${realm} bearer key is required`)))
      .catch((error: unknown) => {
        // over the limit: from now on this instance refuses the address without asking the database
        if (error instanceof TooManyAttemptsError) remember(address, error.details.retryAfterS as number);
        next(error);
      });
  };
}

/** The client's address: the socket's, or the proxy's X-Forwarded-For as TRUST_PROXY allows. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
