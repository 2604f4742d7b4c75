import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * The console's session: a stateless signed cookie `<expiryUnixS>.<hex HMAC-SHA256>` keyed by the
 * admin key, so that every instance sharing the key accepts it and none has to store sessions. The
 * key itself never leaves the login form: neither the cookie nor any URL carries it.
 */

export const SESSION_COOKIE = 'wallet_console_session';
/** How long a session lasts after login, in seconds. */
export const SESSION_LIFETIME_S = 8 * 3600;
/** Clock difference tolerated between instances when checking an expiry, in seconds. */
const CLOCK_SKEW_S = 60;
/** The cookie is sent only to the console. */
export const SESSION_COOKIE_PATH = '/console';

const COOKIE_VALUE = /^(\d{1,12})\.([0-9a-f]{64})$/;

function signature(adminKey: string, expiryS: number): Buffer {
  return createHmac('sha256', adminKey).update(`console:${expiryS}`, 'utf8').digest();
}

/** A new session's cookie value, valid for SESSION_LIFETIME_S from `nowS`. */
export function createSessionValue(adminKey: string, nowS = unixNow()): string {
  const expiryS = nowS + SESSION_LIFETIME_S;
  return `${expiryS}.${signature(adminKey, expiryS).toString('hex')}`;
}

/** True when the value was signed with this key, has not expired, and expires no later than a new session would. */
export function verifySessionValue(adminKey: string, value: string | undefined, nowS = unixNow()): boolean {
  const match = value === undefined ? null : COOKIE_VALUE.exec(value);
  if (!match) return false;
  const expiryS = Number(match[1]);
  const given = Buffer.from(match[2]!, 'hex');
  const signed = timingSafeEqual(given, signature(adminKey, expiryS));
  return signed && expiryS > nowS && expiryS <= nowS + SESSION_LIFETIME_S + CLOCK_SKEW_S;
}

/** The posted key against the admin key, in constant time (digests of equal length, as bearer-auth does). */
export function adminKeyMatches(adminKey: string, posted: unknown): boolean {
  if (typeof posted !== 'string' || posted.length === 0) return false;
  return timingSafeEqual(digest(posted), digest(adminKey));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The session cookie of a request, if any (read from the Cookie header; no cookie library needed). */
export function sessionCookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === SESSION_COOKIE) return part.slice(separator + 1).trim();
  }
  return undefined;
}

export function setSessionCookie(req: Request, res: Response, value: string): void {
  res.append('Set-Cookie', cookie(req, value, SESSION_LIFETIME_S));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', cookie(req, '', 0));
}

function cookie(req: Request, value: string, maxAgeS: number): string {
  const secure = req.secure ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=${SESSION_COOKIE_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
