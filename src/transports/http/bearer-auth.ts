import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { FailureThrottle, ThrottleSubject } from '../../core/access/failure-throttle';
import { TooManyAttemptsError, UnauthenticatedError } from '../../shared/errors';

/** Addresses an instance remembers as throttled (beyond, the oldest is forgotten first). */
export const THROTTLED_ADDRESSES_MAX = 10_000;

type BearerThrottle = Pick<FailureThrottle, 'check' | 'reserve'>;

/**
 * Until when each address was found throttled, per throttle: one throttle per instance's core, so
 * the admin and the operator APIs of an instance, which each mount their own bearerAuth, share one
 * memory, as they share one count ('bearer-address') in the database.
 */
const throttledUntilMsByThrottle = new WeakMap<BearerThrottle, Map<string, number>>();

/**
 * `Authorization: Bearer <key>` against one configured key, compared in constant time (digests of
 * equal length, so neither the key nor its length leaks through timing). Wrong keys (not missing
 * ones) are counted per client address in PostgreSQL, whichever API and instance they reach; once an
 * address is over its limit, every request from it is refused with 429 and Retry-After, on both
 * APIs and every instance, the right key included, so that guessing gains nothing.
 *
 * Every request asks the database (these APIs are not the wallet's hot path): a wrong key is
 * counted in turn with every other guess from its address (FailureThrottle.reserve), so no more than
 * the limit are ever answered 401, however many arrive at once; a right or a missing key reads the
 * count (one indexed read). The instance remembers the addresses it has found throttled, to refuse
 * them without the database until their wait ends: a fast path for refusals only, never for a right key.
 */
export function bearerAuth(expectedKey: string, realm: string, throttle: BearerThrottle): RequestHandler {
  const expectedDigest = digest(expectedKey);
  let throttledUntilMs = throttledUntilMsByThrottle.get(throttle);
  if (!throttledUntilMs) throttledUntilMsByThrottle.set(throttle, (throttledUntilMs = new Map()));
  const remembered = throttledUntilMs;
  const remember = (address: string, retryAfterS: number) => {
    if (remembered.size >= THROTTLED_ADDRESSES_MAX) remembered.delete(remembered.keys().next().value!);
    remembered.set(address, Date.now() + retryAfterS * 1000);
  };
  return (req, res, next) => {
    const address = clientAddress(req);
    const untilMs = remembered.get(address);
    if (untilMs !== undefined) {
      if (untilMs > Date.now()) {
        next(
          new TooManyAttemptsError('too many wrong keys from this address; try again later', {
            retryAfterS: Math.ceil((untilMs - Date.now()) / 1000),
          }),
        );
        return;
      }
      remembered.delete(address);
    }
    const match = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? '');
    const right = match !== null && timingSafeEqual(digest(match[1]!), expectedDigest);
    // no key is no guess: nothing to count, but refused like any request from a throttled address
    const guess = !right && req.headers.authorization !== undefined;
    const subject: ThrottleSubject = ['bearer-address', address];
    (guess ? throttle.reserve(subject) : throttle.check(subject)).then(
      () => {
        if (right) {
          next();
          return;
        }
        res.setHeader('WWW-Authenticate', `Bearer realm="${realm}"`);
        next(new UnauthenticatedError(`a valid ${realm} bearer key is required`));
      },
      (error: unknown) => {
        // over the limit: until its wait ends, this instance refuses the address without asking the database
        if (error instanceof TooManyAttemptsError) remember(address, error.details.retryAfterS as number);
        next(error);
      },
    );
  };
}

/** The client's address: the socket's, or the proxy's X-Forwarded-For as TRUST_PROXY allows. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
