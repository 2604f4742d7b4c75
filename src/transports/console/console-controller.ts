import { randomBytes } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { presentAccount, presentEntry } from '../admin-api/admin-presenters';
import { isBodyReadError } from '../http/body';
import { HTTP_ERROR_BY_CODE } from '../http/error-handler';
import { pathLogin } from '../http/params';
import { sendJson } from '../http/respond';
import type { Core } from '../../core/core';
import type { Logger } from '../../observability/logger';
import { DEFAULT_PERIOD_DAYS, readPeriod } from '../../core/reconciliation/period';
import { MATCH_UPLOAD_BYTES_MAX, matchQueryFields, matchUpload } from '../admin-api/match-request';
import { STALE_HOLD_AGE_DEFAULT_S } from '../../core/reconciliation/reconciliation-service';
import type { Period } from '../../core/reconciliation/reconciliation-store';
import { writeStatementCsv, writeStatementJson } from '../reports/report-writers';
import { AccountNotFoundError, AppError, ValidationError } from '../../shared/errors';
import { parseWith } from '../../shared/validation';
import { adminKeyMatches, clearSessionCookie, createSessionValue, sessionCookieOf, setSessionCookie, verifySessionValue } from './console-session';
import { accountPage, errorPage, loginPage, matchPage, reconciliationPage, searchPage } from './console-views';

/** Largest login form body, in bytes (one key field). */
export const LOGIN_FORM_BYTES_MAX = 4 * 1024;
/** Ledger entries per console page. */
export const CONSOLE_LEDGER_PAGE_SIZE = 25;
/** Longest query value the console reads (dates, cursors, logins), in characters. */
const QUERY_VALUE_LENGTH_MAX = 200;
/** Largest stale-hold age the reconciliation page accepts, in hours (ten years). */
const STALE_HOLD_AGE_MAX_H = 10 * 365 * 24;
const DAY_MS = 86_400_000;

export interface ConsoleDeps {
  /** The part of the core's front door the console uses. */
  core: Pick<Core, 'accounts' | 'ledger' | 'reconciliation' | 'matching'>;
  adminApiKey: string;
  logger: Logger;
}

const dayText = z.string().max(10).optional();
const matchQuery = z.strictObject({ from: dayText, to: dayText, ...matchQueryFields });

/**
 * The finance team's web console (mounted under /console): server-rendered pages over the same
 * services as the admin API, behind a login form that exchanges the admin key for a signed session
 * cookie. Reads are GETs; the only state-changing requests (login, logout, a saved match run) are POSTs,
 * and the SameSite=Strict cookie keeps other sites from making them.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.use(securityHeaders);

  router.get('/login', (req, res) => {
    if (signedIn(deps, req)) {
      res.redirect(303, '/console/accounts');
      return;
    }
    sendPage(res, 200, loginPage(nonceOf(res)));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: LOGIN_FORM_BYTES_MAX }), (req, res) => {
    const posted = (req.body as Record<string, unknown> | undefined)?.key;
    if (!adminKeyMatches(deps.adminApiKey, posted)) {
      sendPage(res, 401, loginPage(nonceOf(res), 'That is not the admin key.'));
      return;
    }
    setSessionCookie(req, res, createSessionValue(deps.adminApiKey));
    res.redirect(303, '/console/accounts');
  });

  router.post('/logout', (req, res) => {
    clearSessionCookie(req, res);
    res.redirect(303, '/console/login');
  });

  router.use((req, res, next) => {
    if (signedIn(deps, req)) next();
    else res.redirect(303, '/console/login');
  });

  router.get('/', (_req, res) => res.redirect(303, '/console/accounts'));

  router.get('/accounts', async (req, res) => {
    const given = queryText(req, 'login').trim();
    if (given === '') {
      sendPage(res, 200, searchPage(nonceOf(res)));
      return;
    }
    let login: bigint;
    try {
      login = pathLogin(given);
    } catch {
      sendPage(res, 400, searchPage(nonceOf(res), { login: given, error: 'A login is a positive whole number.' }));
      return;
    }
    try {
      await deps.core.accounts.get(login);
    } catch (error) {
      if (!(error instanceof AccountNotFoundError)) throw error;
      sendPage(res, 404, searchPage(nonceOf(res), { login: given, error: `Account ${given} not found.` }));
      return;
    }
    res.redirect(303, `/console/accounts/${login}`);
  });

  router.get('/accounts/:login', async (req, res) => {
    const login = pathLogin(req.params.login);
    const cursor = queryText(req, 'cursor');
    const account = await deps.core.accounts.get(login);
    const page = await deps.core.ledger.history(login, cursor === '' ? null : cursor, CONSOLE_LEDGER_PAGE_SIZE);
    const today = new Date();
    sendPage(
      res,
      200,
      accountPage(nonceOf(res), {
        account: presentAccount(account),
        entries: page.items.map(presentEntry),
        nextCursor: page.nextCursor,
        firstPage: cursor === '',
        pageSize: CONSOLE_LEDGER_PAGE_SIZE,
        statement: { from: dayOf(new Date(today.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS)), to: dayOf(today) },
      }),
    );
  });

  router.get('/accounts/:login/statement', async (req, res) => {
    const login = pathLogin(req.params.login);
    const format = queryText(req, 'format') || 'csv';
    if (format !== 'csv' && format !== 'json') throw new ValidationError('format must be csv or json');
    const period = readPeriod(queryText(req, 'from'), queryText(req, 'to'), DEFAULT_PERIOD_DAYS);
    const statement = await deps.core.reconciliation.statement(login, period);
    const filename = `statement-${login}-${dayOf(period.from)}-${dayOf(new Date(period.to.getTime() - 1))}.${format}`;
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    if (format === 'csv') await writeStatementCsv(statement, res);
    else await writeStatementJson(statement, res);
  });

  router.get('/reconciliation', async (req, res) => {
    const form = {
      from: queryText(req, 'from'),
      to: queryText(req, 'to'),
      staleHoldAgeH: queryText(req, 'staleHoldAgeH') || String(STALE_HOLD_AGE_DEFAULT_S / 3600),
    };
    if (queryText(req, 'run') === '') {
      sendPage(res, 200, reconciliationPage(nonceOf(res), form));
      return;
    }
    let period: Period;
    let staleHoldAgeS: number;
    try {
      period = readPeriod(form.from, form.to, 'all');
      staleHoldAgeS = hoursToSeconds(form.staleHoldAgeH);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sendPage(res, 400, reconciliationPage(nonceOf(res), form, undefined, error.message));
      return;
    }
    const report = await deps.core.reconciliation.reconcile({ period, staleHoldAgeS });
    sendPage(res, 200, reconciliationPage(nonceOf(res), form, report));
  });

  router.get('/match', (_req, res) => sendPage(res, 200, matchPage(nonceOf(res), MATCH_UPLOAD_BYTES_MAX)));

  router.post('/match/run', express.raw({ type: () => true, limit: MATCH_UPLOAD_BYTES_MAX }), async (req, res) => {
    const query = parseWith(matchQuery, req.query);
    const period = query.from || query.to ? readPeriod(query.from, query.to, 'all') : undefined;
    const report = await matchUpload(deps.core.matching, req.body, query, period);
    sendJson(res, 200, report);
  });

  router.use((_req, res) => sendPage(res, 404, errorPage(nonceOf(res), true, 404, 'There is no such console page.')));
  router.use(consoleErrorHandler(deps));
  return router;
}

/** Renders failures as a console page (or as JSON for the match endpoint, which a script calls). */
function consoleErrorHandler(deps: ConsoleDeps): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      deps.logger.error({ err: error, path: req.originalUrl }, 'console response failed after it started');
      res.destroy();
      return;
    }
    let status = 500;
    let code = 'INTERNAL';
    let text = 'The console could not complete this request; it has been logged.';
    if (isBodyReadError(error)) {
      status = error.status === 413 ? 413 : 400;
      code = 'INVALID_REQUEST';
      text = error.status === 413 ? 'The upload is too large.' : error.message;
    } else if (error instanceof AppError) {
      ({ status, error: code } = HTTP_ERROR_BY_CODE[error.code]);
      text = error.message;
    } else {
      deps.logger.error({ err: error, path: req.originalUrl }, 'console request failed');
    }
    if (req.path === '/match/run') sendJson(res, status, { error: code, message: text });
    else sendPage(res, status, errorPage(nonceOf(res), signedIn(deps, req), status, text));
  };
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  const nonce = randomBytes(16).toString('base64');
  res.locals.cspNonce = nonce;
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; ` +
      `form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
};

function nonceOf(res: Response): string {
  return String(res.locals.cspNonce);
}

function signedIn(deps: ConsoleDeps, req: Request): boolean {
  return verifySessionValue(deps.adminApiKey, sessionCookieOf(req));
}

function sendPage(res: Response, status: number, page: string): void {
  res.status(status).type('text/html; charset=utf-8').send(page);
}

/** One query value as text: '' when absent, repeated or too long to be anything the console made. */
function queryText(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  if (typeof value !== 'string') return '';
  if (value.length > QUERY_VALUE_LENGTH_MAX) throw new ValidationError(`${name} is too long`);
  return value;
}

function hoursToSeconds(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) > STALE_HOLD_AGE_MAX_H) {
    throw new ValidationError(`the stale hold age must be a whole number of hours from 0 to ${STALE_HOLD_AGE_MAX_H}`);
  }
  return Number(text) * 3600;
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
