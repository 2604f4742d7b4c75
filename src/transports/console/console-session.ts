import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { CONSOLE_SESSION_ABSOLUTE_S } from '../../core/access/console-access-service';
import { TOKEN_LENGTH_MAX } from '../../shared/tokens';

/**
 * The console's session cookie: a random token (only its digest is kept in PostgreSQL, where
 * every instance finds it and where logout or an admin ends it). HttpOnly, SameSite=Strict, sent
 * only to /console, and Secure when the request came over HTTPS (directly, or through a proxy that
 * TRUST_PROXY names).
 */
export const SESSION_COOKIE = 'wallet_console_session';
export const SESSION_COOKIE_PATH = '/console';

/** The session cookie of a request, if any (read from the Cookie header; no cookie library needed). */
export function sessionCookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(separator + 1).trim();
    return value.length > 0 && value.length <= TOKEN_LENGTH_MAX ? value : undefined;
  }
  return undefined;
}

export function setSessionCookie(req: Request, res: Response, token: string): void {
  res.append('Set-Cookie', cookie(req, token, CONSOLE_SESSION_ABSOLUTE_S));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', cookie(req, '', 0));
}

function cookie(req: Request, value: string, maxAgeS: number): string {
  const secure = req.secure ? '; Secure' : '';
  const attributes = `Path=${SESSION_COOKIE_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
  return `${SESSION_COOKIE}=${value}; ${attributes}`;
}

/**
 * The CSRF token a POST carries (form field `_csrf`, or header X-CSRF-Token) against the session's, in
 * constant time.
 */
export function csrfTokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * A login form posted from another site (login CSRF: signing a victim into the attacker's account)
 * is refused. Browsers say where a request comes from in Sec-Fetch-Site; those that do not send
 * Origin (which the console's no-referrer policy turns into "null", so Sec-Fetch-Site comes first).
 * A request with neither (a script, curl) is let through: it cannot carry a victim's browser.
 */
export function sameOriginPost(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
