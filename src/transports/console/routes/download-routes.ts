import { Router } from 'express';
import { DEFAULT_PERIOD_DAYS, readPeriod } from '../../../core/reconciliation/period';
import { ValidationError } from '../../../shared/errors';
import { pathId, pathLogin } from '../../http/params';
import {
  writeJournalEntriesCsv,
  writeMatchItemsCsv,
  writeStatementCsv,
  writeStatementJson,
} from '../../reports/report-writers';
import { allow } from './guards';
import { attachment, dayOf, downloadBy, queryText, type ConsoleDeps } from './kit';
import { ledgerFilter, ledgerFilterForm } from './ledger-filter';

const CSV = 'text/csv; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The files the console hands out (for the download permission; the core records each in the audit
 * log): a filtered ledger, a statement, a match run's items. Each is read before the answer starts:
 * an unknown account or an invalid filter is an error page, not a file.
 */
export function downloadRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/accounts/:login/ledger.csv', allow('download'), async (req, res) => {
    const login = pathLogin(req.params.login);
    const entries = await deps.core.ledger.download(login, ledgerFilter(ledgerFilterForm(req)), downloadBy(res, 'csv'));
    attachment(res, CSV, `ledger-${login}.csv`);
    await writeJournalEntriesCsv(entries, res);
  });
  router.get('/accounts/:login/statement', allow('download'), async (req, res) => {
    const login = pathLogin(req.params.login);
    const format = queryText(req, 'format') || 'csv';
    if (format !== 'csv' && format !== 'json') throw new ValidationError('format must be csv or json');
    const period = readPeriod(queryText(req, 'from'), queryText(req, 'to'), DEFAULT_PERIOD_DAYS);
    const statement = await deps.core.reconciliation.statement(login, period, downloadBy(res, format));
    const lastDay = dayOf(new Date(period.to.getTime() - 1));
    attachment(
      res,
      format === 'csv' ? CSV : JSON_TYPE,
      `statement-${login}-${dayOf(period.from)}-${lastDay}.${format}`,
    );
    if (format === 'csv') await writeStatementCsv(statement, res);
    else await writeStatementJson(statement, res);
  });
  router.get('/runs/:id/items.csv', allow('download'), async (req, res) => {
    const id = pathId(req.params.id, 'run id');
    const { items } = await deps.core.runs.matchItems(id, downloadBy(res, 'csv'));
    attachment(res, CSV, `match-run-${id}.csv`);
    await writeMatchItemsCsv(items, res);
  });
  return router;
}
