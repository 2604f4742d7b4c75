import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthenticatedError } from '../../shared/errors';

/**
 * `Authorization: Bearer <key>` against one configured key, compared in constant time (digests of
 * equal length, so neither the key nor its length leaks through timing).
 */
export function bearerAuth(expectedKey: string, realm: string): RequestHandler {
  const expectedDigest = digest(expectedKey);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S{1,512})$/.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expectedDigest)) {
      res.setHeader('WWW-Authenticate', `Bearer realm="${realm}"`);
      next(new UnauthenticatedError(`a valid ${realm} bearer key is required`));
      return;
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
