import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { pathLogin } from '../http/params';
import { sendJson } from '../http/respond';
import { parseWith } from '../../shared/validation';
import { MATCH_UPLOAD_BYTES_MAX, matchQueryFields, matchUpload } from './match-request';
import type { Core } from '../../core/core';
import { readPeriod, DEFAULT_PERIOD_DAYS } from '../../core/reconciliation/period';
import { STALE_HOLD_AGE_DEFAULT_S } from '../../core/reconciliation/reconciliation-service';
import { presentDailyTotal, writeDailyTotalsCsv, writeLedgerCsv, writeStatementCsv, writeStatementJson } from '../reports/report-writers';

const periodQuery = { from: z.string().max(40).optional(), to: z.string().max(40).optional() };
const reconcileQuery = z.strictObject({ ...periodQuery, staleHoldAgeS: z.coerce.number().int().min(0).max(10 * 365 * 86400).default(STALE_HOLD_AGE_DEFAULT_S) });
const formatQuery = z.strictObject({ ...periodQuery, format: z.enum(['json', 'csv']).default('json') });
const exportQuery = z.strictObject(periodQuery);
const matchQuery = z.strictObject({ ...periodQuery, ...matchQueryFields });

/** The reconciliation endpoints of the admin API (mounted under /admin, behind the admin key). */
export function reconciliationRouter(core: Pick<Core, 'reconciliation' | 'matching'>): Router {
  const router = Router();

  router.get('/reconciliation', async (req, res) => {
    const query = parseWith(reconcileQuery, req.query);
    const report = await core.reconciliation.reconcile({ period: readPeriod(query.from, query.to, 'all'), staleHoldAgeS: query.staleHoldAgeS });
    sendJson(res, 200, report);
  });

  router.get('/reports/daily-totals', async (req, res) => {
    const query = parseWith(formatQuery, req.query);
    const rows = core.reconciliation.dailyTotals(readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS));
    if (query.format === 'csv') {
      attachment(res, 'daily-totals.csv');
      await writeDailyTotalsCsv(rows, res);
      return;
    }
    const totals = [];
    for await (const row of rows) totals.push(presentDailyTotal(row));
    sendJson(res, 200, { totals });
  });

  router.get('/accounts/:login/statement', async (req, res) => {
    const query = parseWith(formatQuery, req.query);
    const login = pathLogin(req.params.login);
    const statement = await core.reconciliation.statement(login, readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS));
    if (query.format === 'csv') {
      attachment(res, `statement-${login}.csv`);
      await writeStatementCsv(statement, res);
    } else {
      res.type('application/json');
      await writeStatementJson(statement, res);
    }
  });

  router.get('/ledger/export', async (req, res) => {
    const query = parseWith(exportQuery, req.query);
    const rows = core.reconciliation.ledgerPostings(readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS));
    attachment(res, 'ledger.csv');
    await writeLedgerCsv(rows, res);
  });

  router.post('/reconciliation/match', express.raw({ type: () => true, limit: MATCH_UPLOAD_BYTES_MAX }), async (req, res) => {
    const query = parseWith(matchQuery, req.query);
    const period = query.from || query.to ? readPeriod(query.from, query.to, 'all') : undefined;
    const report = await matchUpload(core.matching, req.body, query, period);
    sendJson(res, 200, report);
  });

  return router;
}

function attachment(res: Response, filename: string): void {
  res.type('text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
}
