import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { ConsoleSession } from '../../../core/access/console-access-service';
import { roleAllows, type ConsolePermission } from '../../../core/access/console-roles';
import { ForbiddenError } from '../../../shared/errors';
import { clearSessionCookie, csrfTokenMatches, sessionCookieOf } from '../console-session';
import { sessionOf, type ConsoleDeps } from './kit';

/** What stands before a console route: its headers, the session, the role, the CSRF token. */

/**
 * A fresh nonce per answer and a CSP that allows only what carries it (the stylesheet, Chart.js and
 * a page's own script): no inline code without it, no other origin, no framing.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  const nonce = randomBytes(16).toString('base64');
  res.locals.cspNonce = nonce;
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
      `connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
};

/** The session of the request's cookie, when it is live (not revoked, idle, expired, or of a disabled user). */
export async function liveSession(deps: ConsoleDeps, req: Request): Promise<ConsoleSession | undefined> {
  const token = sessionCookieOf(req);
  return token === undefined ? undefined : deps.core.consoleAccess.session(token);
}

/** Past this, a live session: without one, the cookie is cleared and the browser sent to sign in again. */
export function requireSession(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const session = await liveSession(deps, req);
    if (!session) {
      if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res);
      res.redirect(303, '/console/login');
      return;
    }
    res.locals.session = session;
    next();
  };
}

/** Refuses (403) a page or action the signed-in user's role does not allow. */
export function allow(permission: ConsolePermission): RequestHandler {
  return (_req, res, next) => {
    const { role } = sessionOf(res).user;
    if (roleAllows(role, permission)) next();
    else next(new ForbiddenError(`the ${role} role cannot do this (${permission})`));
  };
}

/** Every POST after sign-in carries the session's CSRF token: a form's `_csrf` field, or the X-CSRF-Token header. */
export const csrf: RequestHandler = (req, res, next) => {
  const given = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?._csrf;
  if (csrfTokenMatches(sessionOf(res).csrfToken, given)) next();
  else
    next(new ForbiddenError('this form has expired or did not come from the console; reload the page and try again'));
};
