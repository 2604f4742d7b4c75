import express, { type Request, type Response } from 'express';
import type { Core } from '../../../core/core';
import type { Download } from '../../../core/audit/audit-log';
import { actorOf, type ConsoleSession } from '../../../core/access/console-access-service';
import { ValidationError } from '../../../shared/errors';
import type { PageContext } from '../views/layout';

/** What every route of the console reads and answers with. */

export interface ConsoleDeps {
  /** The part of the core's front door the console uses. */
  core: Pick<
    Core,
    'accounts' | 'ledger' | 'reconciliation' | 'matching' | 'runs' | 'dashboard' | 'consoleAccess' | 'audit'
  >;
}

/** Largest form body, in bytes (a login, a new user: a few short fields). */
export const FORM_BYTES_MAX = 4 * 1024;
/** Longest query value the console reads (dates, cursors, logins), in characters. */
const QUERY_VALUE_LENGTH_MAX = 200;
/** Where a sign-in leads: what a finance person looks at first. */
export const LANDING_PAGE = '/console/dashboard';

/** The body of a form the console posts (urlencoded, small). */
export const form = express.urlencoded({ extended: false, limit: FORM_BYTES_MAX });

/** The page's nonce, and the session it shows (none before sign-in). */
export function pageOf(res: Response): PageContext {
  const session = res.locals.session as ConsoleSession | undefined;
  return {
    nonce: String(res.locals.cspNonce),
    ...(session
      ? { session: { username: session.user.username, role: session.user.role, csrfToken: session.csrfToken } }
      : {}),
  };
}

/** The live session of a request past the session gate. */
export function sessionOf(res: Response): ConsoleSession {
  return res.locals.session as ConsoleSession;
}

/** The audit log's actor of the signed-in user. */
export function actorIn(res: Response): string {
  return actorOf(sessionOf(res).user);
}

export function sendPage(res: Response, status: number, page: string): void {
  res.status(status).type('text/html; charset=utf-8').send(page);
}

/** A download by the signed-in user (the core records it in the audit log). */
export function downloadBy(res: Response, format: Download['format']): Download {
  return { actor: actorIn(res), format };
}

/** Starts a file download: its type and the name the browser saves it as. */
export function attachment(res: Response, type: string, filename: string): void {
  res.type(type);
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
}

/** One query value as text: '' when absent, repeated or too long to be anything the console made. */
export function queryText(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  if (typeof value !== 'string') return '';
  if (value.length > QUERY_VALUE_LENGTH_MAX) throw new ValidationError(`${name} is too long`);
  return value;
}

/** A posted form's text field ('' when absent or not text). */
export function formText(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** `YYYY-MM-DD`, the UTC day of a moment. */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
