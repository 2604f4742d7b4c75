import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { readPeriod } from '../../../core/reconciliation/period';
import {
  STALE_HOLD_AGE_DEFAULT_S,
  type ReconciliationReport,
} from '../../../core/reconciliation/reconciliation-service';
import { RUN_PAGE_SIZE_DEFAULT } from '../../../core/reconciliation/run-history';
import { ValidationError } from '../../../shared/errors';
import { parseWith } from '../../../shared/validation';
import { MATCH_UPLOAD_BYTES_MAX, matchQueryFields, matchUpload } from '../../admin-api/match-request';
import { pathId } from '../../http/params';
import { sendJson } from '../../http/respond';
import { presentRun } from '../../presenters/reconciliation';
import { matchPage } from '../views/match-page';
import { reconciliationPage, type ReconciliationForm } from '../views/reconciliation-page';
import type { LoginCurrencies } from '../views/reconciliation-report';
import { runPage } from '../views/run-page';
import { runsPage, type RunsPageModel } from '../views/runs-page';
import { MATCH_RUN_PATH } from './errors';
import { allow, csrf } from './guards';
import { actorIn, pageOf, queryText, sendPage, type ConsoleDeps } from './kit';

/** Largest stale-hold age the reconciliation page accepts, in hours (ten years). */
const STALE_HOLD_AGE_MAX_H = 10 * 365 * 24;

const dayText = z.string().max(10).optional();
const matchQuery = z.strictObject({ from: dayText, to: dayText, ...matchQueryFields });

/** Reconciliation and matching (the reconcile permission): run one, and reopen the history of runs. */
export function reconciliationRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/reconciliation', allow('reconcile'), (req, res) => reconcile(deps, req, res));
  router.get('/runs', allow('reconcile'), async (req, res) => {
    const kind = queryText(req, 'kind');
    if (kind !== '' && kind !== 'reconciliation' && kind !== 'match')
      throw new ValidationError('kind must be reconciliation or match');
    const cursor = queryText(req, 'cursor');
    const page = await deps.core.runs.list(kind || undefined, cursor || null, RUN_PAGE_SIZE_DEFAULT);
    const model: RunsPageModel = {
      runs: page.items.map(presentRun),
      kind,
      nextCursor: page.nextCursor,
      firstPage: cursor === '',
    };
    sendPage(res, 200, runsPage(pageOf(res), model));
  });
  router.get('/runs/:id', allow('reconcile'), async (req, res) => {
    const { run, result } = await deps.core.runs.get(pathId(req.params.id, 'run id'));
    const isReport = run.kind === 'reconciliation' && result;
    const currencies = isReport
      ? await reportCurrencies(deps, result as unknown as ReconciliationReport)
      : new Map<string, string>();
    sendPage(res, 200, runPage(pageOf(res), { run: presentRun(run), result, currencies }));
  });
  router.get('/match', allow('reconcile'), (_req, res) => {
    sendPage(res, 200, matchPage(pageOf(res), { uploadBytesMax: MATCH_UPLOAD_BYTES_MAX }));
  });
  const upload = express.raw({ type: () => true, limit: MATCH_UPLOAD_BYTES_MAX });
  router.post(MATCH_RUN_PATH, allow('reconcile'), csrf, upload, async (req, res) => {
    const query = parseWith(matchQuery, req.query);
    const period = query.from || query.to ? readPeriod(query.from, query.to, 'all') : undefined;
    sendJson(res, 200, await matchUpload(deps.core.matching, req.body, query, period, actorIn(res)));
  });
  return router;
}

/** The reconciliation page: the form alone, or (with `run`) the form and the run's report. */
async function reconcile(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const form: ReconciliationForm = {
    from: queryText(req, 'from'),
    to: queryText(req, 'to'),
    staleHoldAgeH: queryText(req, 'staleHoldAgeH') || String(STALE_HOLD_AGE_DEFAULT_S / 3600),
  };
  if (queryText(req, 'run') === '') {
    sendPage(res, 200, reconciliationPage(pageOf(res), { form }));
    return;
  }
  let options;
  try {
    options = { period: readPeriod(form.from, form.to, 'all'), staleHoldAgeS: hoursToSeconds(form.staleHoldAgeH) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    sendPage(res, 400, reconciliationPage(pageOf(res), { form, error: error.message }));
    return;
  }
  const report = await deps.core.reconciliation.reconcile({ ...options, actor: actorIn(res) });
  const result = { report, currencies: await reportCurrencies(deps, report) };
  sendPage(res, 200, reconciliationPage(pageOf(res), { form, result }));
}

function hoursToSeconds(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) > STALE_HOLD_AGE_MAX_H) {
    throw new ValidationError(`the stale hold age must be a whole number of hours from 0 to ${STALE_HOLD_AGE_MAX_H}`);
  }
  return Number(text) * 3600;
}

/**
 * The currency of every account a reconciliation report's discrepancies name (a listing is bounded,
 * so are the look-ups).
 */
async function reportCurrencies(deps: ConsoleDeps, report: ReconciliationReport): Promise<LoginCurrencies> {
  const logins = [...new Set(report.discrepancies.items.flatMap((item) => (item.login === null ? [] : [item.login])))];
  return deps.core.accounts.currenciesOf(logins.map(BigInt));
}
