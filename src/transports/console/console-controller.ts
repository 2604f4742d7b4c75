import { randomBytes } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import path from 'node:path';
import { presentAccount } from '../presenters/accounts';
import { presentEntry, presentEntryOfAccount } from '../presenters/ledger';
import { presentBalanceAt, presentRun } from '../presenters/reconciliation';
import { isBodyReadError } from '../http/body';
import { HTTP_ERROR_BY_CODE } from '../http/error-handler';
import { noteRequestFailure } from '../http/request-log';
import { pathId, pathLogin } from '../http/params';
import { sendJson } from '../http/respond';
import type { Core } from '../../core/core';
import type { Download } from '../../core/audit/audit-log';
import { DEFAULT_PERIOD_DAYS, readMoment, readPeriod } from '../../core/reconciliation/period';
import { MATCH_UPLOAD_BYTES_MAX, matchQueryFields, matchUpload } from '../admin-api/match-request';
import { STALE_HOLD_AGE_DEFAULT_S, type ReconciliationReport } from '../../core/reconciliation/reconciliation-service';
import { LEDGER_OPERATIONS } from '../../core/ledger/ledger-service';
import type { LedgerFilter } from '../../core/ledger/ledger-store';
import { ACCOUNT_SORTS, type AccountSort } from '../../core/accounts/account-store';
import { RUN_PAGE_SIZE_DEFAULT } from '../../core/reconciliation/run-history';
import type { Period } from '../../core/reconciliation/reconciliation-store';
import { writeJournalEntriesCsv, writeMatchItemsCsv, writeStatementCsv, writeStatementJson } from '../reports/report-writers';
import { AppError, ForbiddenError, TooManyAttemptsError, UnauthenticatedError, ValidationError } from '../../shared/errors';
import { parseWith } from '../../shared/validation';
import { actorOf, type ConsoleSession } from '../../core/access/console-access-service';
import { roleAllows, type ConsolePermission, type ConsoleRole } from '../../core/access/console-roles';
import { clientAddress } from '../http/bearer-auth';
import { clearSessionCookie, csrfTokenMatches, sameOriginPost, sessionCookieOf, setSessionCookie } from './console-session';
import { presentAuditEntry, presentUser } from '../presenters/users';
import {
  accountPage,
  accountsPage,
  auditPage,
  CHART_LIBRARY_ROUTE,
  DASHBOARD_PERIODS_DAYS,
  dashboardPage,
  entryPage,
  errorPage,
  loginPage,
  matchPage,
  reconciliationPage,
  runPage,
  runsPage,
  usersPage,
  type AccountListForm,
  type DashboardPeriodDays,
  type LedgerFilterForm,
  type LoginCurrencies,
  type PageContext,
} from './console-views';

/** Largest form body, in bytes (a login, a new user: a few short fields). */
export const FORM_BYTES_MAX = 4 * 1024;
/** Longest username and password the login form reads, in characters. */
const USERNAME_LENGTH_MAX = 64;
const PASSWORD_LENGTH_MAX = 256;
/** Audit entries per console page. */
const AUDIT_PAGE_SIZE = 50;
/** Ledger entries per console page. */
export const CONSOLE_LEDGER_PAGE_SIZE = 25;
/** Accounts per page of the accounts list. */
export const CONSOLE_ACCOUNT_PAGE_SIZE = 25;
/** Where a sign-in leads: what a finance person looks at first. */
const LANDING_PAGE = '/console/dashboard';
/**
 * Chart.js's UMD build (next to the CommonJS entry its package exports), served by the console
 * itself: the console works offline, and its CSP allows only scripts carrying the page's nonce.
 */
const CHART_LIBRARY_FILE = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
/** Longest query value the console reads (dates, cursors, logins), in characters. */
const QUERY_VALUE_LENGTH_MAX = 200;
/** Largest stale-hold age the reconciliation page accepts, in hours (ten years). */
const STALE_HOLD_AGE_MAX_H = 10 * 365 * 24;
const DAY_MS = 86_400_000;

export interface ConsoleDeps {
  /** The part of the core's front door the console uses. */
  core: Pick<Core, 'accounts' | 'ledger' | 'reconciliation' | 'matching' | 'runs' | 'dashboard' | 'consoleAccess' | 'audit'>;
}

const dayText = z.string().max(10).optional();
const matchQuery = z.strictObject({ from: dayText, to: dayText, ...matchQueryFields });

/**
 * The finance team's web console (mounted under /console): server-rendered pages over the same
 * services as the admin API, for console users with a role (viewer, finance, admin). A login opens a
 * server-side session (a random cookie token; the session lives in PostgreSQL, so every instance
 * knows it and logout ends it everywhere); every POST carries the session's CSRF token; each page and
 * action checks the role; what produces or changes something is written to the audit log.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_BYTES_MAX });
  router.use(securityHeaders);

  router.get('/login', async (req, res) => {
    if (await liveSession(deps, req)) {
      res.redirect(303, LANDING_PAGE);
      return;
    }
    sendPage(res, 200, loginPage(pageOf(res)));
  });

  router.post('/login', form, async (req, res) => {
    if (!sameOriginPost(req)) throw new ForbiddenError('a sign-in must come from the console itself');
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof fields.username === 'string' ? fields.username.trim().slice(0, USERNAME_LENGTH_MAX) : '';
    const password = typeof fields.password === 'string' ? fields.password.slice(0, PASSWORD_LENGTH_MAX) : '';
    try {
      const { token } = await deps.core.consoleAccess.login(username, password, clientAddress(req));
      setSessionCookie(req, res, token);
      res.redirect(303, LANDING_PAGE);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        const retryAfterS = Number(error.details.retryAfterS ?? 60);
        res.setHeader('Retry-After', String(retryAfterS));
        sendPage(res, 429, loginPage(pageOf(res), { username, error: `Too many failed sign-ins. Try again in ${Math.ceil(retryAfterS / 60)} minute(s).` }));
      } else if (error instanceof UnauthenticatedError) {
        sendPage(res, 401, loginPage(pageOf(res), { username, error: 'Wrong username or password.' }));
      } else throw error;
    }
  });

  // from here on, a live session (revoked, idle, expired or of a disabled user: sign in again)
  router.use(async (req, res, next) => {
    const session = await liveSession(deps, req);
    if (!session) {
      if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res);
      res.redirect(303, '/console/login');
      return;
    }
    res.locals.session = session;
    next();
  });

  router.post('/logout', form, csrf, async (req, res) => {
    await deps.core.consoleAccess.logout(sessionCookieOf(req)!, sessionOf(res));
    clearSessionCookie(req, res);
    res.redirect(303, '/console/login');
  });

  router.get('/', (_req, res) => res.redirect(303, LANDING_PAGE));

  router.get(CHART_LIBRARY_ROUTE, (_req, res) => res.sendFile(CHART_LIBRARY_FILE));

  router.get('/dashboard', allow('read'), async (req, res) => {
    const given = queryText(req, 'days') || String(DASHBOARD_PERIODS_DAYS[0]);
    const days = DASHBOARD_PERIODS_DAYS.find((choice) => String(choice) === given);
    if (days === undefined) throw new ValidationError(`days must be one of ${DASHBOARD_PERIODS_DAYS.join(', ')}`);
    const dashboard = await deps.core.dashboard.dashboard(readPeriod(undefined, undefined, days));
    sendPage(res, 200, dashboardPage(pageOf(res), dashboard, days as DashboardPeriodDays));
  });

  router.get('/accounts', allow('read'), async (req, res) => {
    const status = queryText(req, 'status');
    const sort = queryText(req, 'sort') || 'login';
    const form: AccountListForm = {
      search: queryText(req, 'search').trim(),
      status: status === 'active' || status === 'disabled' ? status : '',
      sort: (ACCOUNT_SORTS as readonly string[]).includes(sort) ? (sort as AccountSort) : 'login',
    };
    const cursor = queryText(req, 'cursor');
    const page = await deps.core.accounts.list({ search: form.search, status: form.status || undefined, sort: form.sort, cursor: cursor || null, limit: CONSOLE_ACCOUNT_PAGE_SIZE });
    sendPage(
      res,
      200,
      accountsPage(pageOf(res), { form, accounts: page.items.map(presentAccount), nextCursor: page.nextCursor, firstPage: cursor === '', pageSize: CONSOLE_ACCOUNT_PAGE_SIZE }),
    );
  });

  router.get('/accounts/:login', allow('read'), async (req, res) => {
    const login = pathLogin(req.params.login);
    const cursor = queryText(req, 'cursor');
    const account = await deps.core.accounts.get(login);
    const filterForm = ledgerFilterForm(req);
    const at = queryText(req, 'at');
    const [page, balanceAt] = await Promise.all([
      deps.core.ledger.history(login, cursor === '' ? null : cursor, CONSOLE_LEDGER_PAGE_SIZE, ledgerFilter(filterForm)),
      at === '' ? undefined : deps.core.reconciliation.balanceAt(login, readMoment(at)),
    ]);
    const today = new Date();
    sendPage(
      res,
      200,
      accountPage(pageOf(res), {
        account: presentAccount(account),
        entries: page.items.map(presentEntry),
        nextCursor: page.nextCursor,
        firstPage: cursor === '',
        pageSize: CONSOLE_LEDGER_PAGE_SIZE,
        filter: filterForm,
        operations: LEDGER_OPERATIONS,
        statement: { from: dayOf(new Date(today.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS)), to: dayOf(today) },
        // a datetime-local input's value: the moment asked, or now (UTC, to the second)
        balanceAt: { at: at || today.toISOString().slice(0, 19), ...(balanceAt ? { answer: presentBalanceAt(balanceAt) } : {}) },
      }),
    );
  });

  router.get('/accounts/:login/ledger.csv', allow('download'), async (req, res) => {
    const login = pathLogin(req.params.login);
    // read before the answer starts: an unknown account or an invalid filter is an error page, not a file
    const entries = await deps.core.ledger.download(login, ledgerFilter(ledgerFilterForm(req)), downloadBy(res, 'csv'));
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="ledger-${login}.csv"`);
    await writeJournalEntriesCsv(entries, res);
  });

  router.get('/entries/:id', allow('read'), async (req, res) => {
    sendPage(res, 200, entryPage(pageOf(res), presentEntryOfAccount(await deps.core.ledger.entry(pathId(req.params.id, 'entry id')))));
  });

  router.get('/accounts/:login/statement', allow('download'), async (req, res) => {
    const login = pathLogin(req.params.login);
    const format = queryText(req, 'format') || 'csv';
    if (format !== 'csv' && format !== 'json') throw new ValidationError('format must be csv or json');
    const period = readPeriod(queryText(req, 'from'), queryText(req, 'to'), DEFAULT_PERIOD_DAYS);
    const statement = await deps.core.reconciliation.statement(login, period, downloadBy(res, format));
    const filename = `statement-${login}-${dayOf(period.from)}-${dayOf(new Date(period.to.getTime() - 1))}.${format}`;
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    if (format === 'csv') await writeStatementCsv(statement, res);
    else await writeStatementJson(statement, res);
  });

  router.get('/reconciliation', allow('reconcile'), async (req, res) => {
    const form = {
      from: queryText(req, 'from'),
      to: queryText(req, 'to'),
      staleHoldAgeH: queryText(req, 'staleHoldAgeH') || String(STALE_HOLD_AGE_DEFAULT_S / 3600),
    };
    if (queryText(req, 'run') === '') {
      sendPage(res, 200, reconciliationPage(pageOf(res), form));
      return;
    }
    let period: Period;
    let staleHoldAgeS: number;
    try {
      period = readPeriod(form.from, form.to, 'all');
      staleHoldAgeS = hoursToSeconds(form.staleHoldAgeH);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sendPage(res, 400, reconciliationPage(pageOf(res), form, undefined, error.message));
      return;
    }
    const report = await deps.core.reconciliation.reconcile({ period, staleHoldAgeS, actor: actorOf(sessionOf(res).user) });
    sendPage(res, 200, reconciliationPage(pageOf(res), form, { report, currencies: await reportCurrencies(deps, report) }));
  });

  router.get('/runs', allow('reconcile'), async (req, res) => {
    const kind = queryText(req, 'kind');
    if (kind !== '' && kind !== 'reconciliation' && kind !== 'match') throw new ValidationError('kind must be reconciliation or match');
    const cursor = queryText(req, 'cursor');
    const page = await deps.core.runs.list(kind || undefined, cursor || null, RUN_PAGE_SIZE_DEFAULT);
    sendPage(res, 200, runsPage(pageOf(res), { runs: page.items.map(presentRun), kind, nextCursor: page.nextCursor, firstPage: cursor === '' }));
  });

  router.get('/runs/:id', allow('reconcile'), async (req, res) => {
    const { run, result } = await deps.core.runs.get(pathId(req.params.id, 'run id'));
    const currencies = run.kind === 'reconciliation' && result ? await reportCurrencies(deps, result as unknown as ReconciliationReport) : new Map<string, string>();
    sendPage(res, 200, runPage(pageOf(res), { run: presentRun(run), result, currencies }));
  });

  router.get('/runs/:id/items.csv', allow('download'), async (req, res) => {
    const id = pathId(req.params.id, 'run id');
    const { items } = await deps.core.runs.matchItems(id, downloadBy(res, 'csv'));
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="match-run-${id}.csv"`);
    await writeMatchItemsCsv(items, res);
  });

  router.get('/match', allow('reconcile'), (_req, res) => sendPage(res, 200, matchPage(pageOf(res), MATCH_UPLOAD_BYTES_MAX)));

  router.post('/match/run', allow('reconcile'), csrf, express.raw({ type: () => true, limit: MATCH_UPLOAD_BYTES_MAX }), async (req, res) => {
    const query = parseWith(matchQuery, req.query);
    const period = query.from || query.to ? readPeriod(query.from, query.to, 'all') : undefined;
    const report = await matchUpload(deps.core.matching, req.body, query, period, actorOf(sessionOf(res).user));
    sendJson(res, 200, report);
  });

  router.get('/audit', allow('audit'), async (req, res) => {
    const before = queryText(req, 'before');
    if (before !== '' && !/^\d{1,19}$/.test(before)) throw new ValidationError('before must be an audit entry id');
    const page = await deps.core.audit.page(AUDIT_PAGE_SIZE, before === '' ? undefined : BigInt(before));
    sendPage(res, 200, auditPage(pageOf(res), page.entries.map(presentAuditEntry), page.nextBefore));
  });

  router.get('/users', allow('manage-users'), async (_req, res) => {
    sendPage(res, 200, usersPage(pageOf(res), (await deps.core.consoleAccess.listUsers()).map(presentUser)));
  });

  router.post('/users', allow('manage-users'), form, csrf, async (req, res) => {
    const fields = req.body as Record<string, unknown>;
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : '');
    const actor = actorOf(sessionOf(res).user);
    try {
      await deps.core.consoleAccess.createUser({ username: text('username').trim(), password: text('password'), role: text('role') as ConsoleRole }, actor);
    } catch (error) {
      if (!(error instanceof AppError) || HTTP_ERROR_BY_CODE[error.code].status >= 500) throw error;
      const users = (await deps.core.consoleAccess.listUsers()).map(presentUser);
      sendPage(res, HTTP_ERROR_BY_CODE[error.code].status, usersPage(pageOf(res), users, { kind: 'error', text: error.message }));
      return;
    }
    res.redirect(303, '/console/users');
  });

  router.post('/users/:username/:action', allow('manage-users'), form, csrf, async (req, res) => {
    const username = String(req.params.username);
    const actor = actorOf(sessionOf(res).user);
    const fields = req.body as Record<string, unknown>;
    switch (req.params.action) {
      case 'role':
        if (username === sessionOf(res).user.username) throw new ValidationError('you cannot change your own role (another admin can)');
        await deps.core.consoleAccess.updateUser(username, { role: String(fields.role) as ConsoleRole }, actor);
        break;
      case 'disable':
      case 'enable':
        if (username === sessionOf(res).user.username) throw new ValidationError('you cannot disable yourself');
        await deps.core.consoleAccess.updateUser(username, { disabled: req.params.action === 'disable' }, actor);
        break;
      case 'end-sessions':
        await deps.core.consoleAccess.revokeSessions(username, actor);
        break;
      default:
        throw new ValidationError('no such action');
    }
    res.redirect(303, '/console/users');
  });

  router.use((_req, res) => sendPage(res, 404, errorPage(pageOf(res), 404, 'There is no such console page.')));
  router.use(consoleErrorHandler());
  return router;
}

/** Renders failures as a console page (or as JSON for the match endpoint, which a script calls). */
function consoleErrorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      noteRequestFailure(res, error); // its access-log line (aborted) carries it
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
      noteRequestFailure(res, error); // its access-log line (status 500, at error) carries it
    }
    if (req.path === '/match/run') sendJson(res, status, { error: code, message: text });
    else sendPage(res, status, errorPage(pageOf(res), status, text));
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

/** The page's nonce, and the session it shows (none before sign-in). */
function pageOf(res: Response): PageContext {
  const session = res.locals.session as ConsoleSession | undefined;
  return {
    nonce: String(res.locals.cspNonce),
    ...(session ? { session: { username: session.user.username, role: session.user.role, csrfToken: session.csrfToken } } : {}),
  };
}

function sessionOf(res: Response): ConsoleSession {
  return res.locals.session as ConsoleSession;
}

async function liveSession(deps: ConsoleDeps, req: Request): Promise<ConsoleSession | undefined> {
  const token = sessionCookieOf(req);
  return token === undefined ? undefined : deps.core.consoleAccess.session(token);
}

/** Refuses (403) a page or action the signed-in user's role does not allow. */
function allow(permission: ConsolePermission): RequestHandler {
  return (_req, res, next) => {
    const { role } = sessionOf(res).user;
    if (roleAllows(role, permission)) next();
    else next(new ForbiddenError(`the ${role} role cannot do this (${permission})`));
  };
}

/** Every POST after sign-in carries the session's CSRF token: a form's `_csrf` field, or the X-CSRF-Token header. */
const csrf: RequestHandler = (req, res, next) => {
  const given = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?._csrf;
  if (csrfTokenMatches(sessionOf(res).csrfToken, given)) next();
  else next(new ForbiddenError('this form has expired or did not come from the console; reload the page and try again'));
};

/** A download by the signed-in user (the core records it in the audit log). */
function downloadBy(res: Response, format: Download['format']): Download {
  return { actor: actorOf(sessionOf(res).user), format };
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

/** The ledger filter's fields as the form sent them ('' when absent). */
function ledgerFilterForm(req: Request): LedgerFilterForm {
  return { operation: queryText(req, 'operation'), from: queryText(req, 'from'), to: queryText(req, 'to'), reference: queryText(req, 'reference').trim() };
}

/** The core's filter of a ledger filter form: UTC days, `to` included, as every period of the console. */
function ledgerFilter(form: LedgerFilterForm): LedgerFilter {
  const period = form.from || form.to ? readPeriod(form.from || undefined, form.to || undefined, 'all') : undefined;
  return {
    ...(form.operation ? { operation: form.operation } : {}),
    ...(period ? { from: period.from, to: period.to } : {}),
    ...(form.reference ? { reference: form.reference } : {}),
  };
}

/** The currency of every account a reconciliation report's discrepancies name (a listing is bounded, so are the look-ups). */
async function reportCurrencies(deps: ConsoleDeps, report: ReconciliationReport): Promise<LoginCurrencies> {
  const logins = [...new Set(report.discrepancies.items.flatMap((item) => (item.login === null ? [] : [item.login])))];
  return deps.core.accounts.currenciesOf(logins.map(BigInt));
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
