import express, { Router, type Response } from 'express';
import { pathId, pathLogin } from '../http/params';
import { sendJson } from '../http/respond';
import { parseWith } from '../../shared/validation';
import { MATCH_UPLOAD_BYTES_MAX, matchUpload } from './match-request';
import type { Core } from '../../core/core';
import { ADMIN_API_ACTOR } from './users-controller';
import { readMoment, readPeriod, DEFAULT_PERIOD_DAYS } from '../../core/reconciliation/period';
import { presentBalanceAt, presentDailyTotal, presentRun } from '../presenters/reconciliation';
import {
  writeDailyTotalsCsv,
  writeLedgerCsv,
  writeMatchItemsCsv,
  writeStatementCsv,
  writeStatementJson,
} from '../reports/report-writers';

import {
  balanceAtQuery,
  exportQuery,
  formatQuery,
  matchQuery,
  reconcileQuery,
  runsQuery,
} from './reconciliation-schemas';

/** The reconciliation endpoints of the admin API (mounted under /admin, behind the admin key). */
export function reconciliationRouter(core: Pick<Core, 'reconciliation' | 'matching' | 'runs'>): Router {
  const router = Router();

  router.get('/reconciliation', async (req, res) => {
    const query = parseWith(reconcileQuery, req.query);
    // every run is kept in the history, a plain GET's as much as the console's
    const report = await core.reconciliation.reconcile({
      period: readPeriod(query.from, query.to, 'all'),
      staleHoldAgeS: query.staleHoldAgeS,
      actor: ADMIN_API_ACTOR,
    });
    sendJson(res, 200, report);
  });

  router.get('/reconciliation/runs', async (req, res) => {
    const query = parseWith(runsQuery, req.query);
    const page = await core.runs.list(query.kind, query.cursor ?? null, query.limit);
    sendJson(res, 200, { items: page.items.map(presentRun), nextCursor: page.nextCursor });
  });

  router.get('/reconciliation/runs/:id', async (req, res) => {
    const { run, result } = await core.runs.get(pathId(req.params.id, 'run id'));
    sendJson(res, 200, { ...presentRun(run), result });
  });

  router.get('/reconciliation/runs/:id/items.csv', async (req, res) => {
    const id = pathId(req.params.id, 'run id');
    const { items } = await core.runs.matchItems(id, { actor: ADMIN_API_ACTOR, format: 'csv' });
    attachment(res, `match-run-${id}.csv`);
    await writeMatchItemsCsv(items, res);
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
    const period = readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS);
    const statement = await core.reconciliation.statement(login, period, {
      actor: ADMIN_API_ACTOR,
      format: query.format,
    });
    if (query.format === 'csv') {
      attachment(res, `statement-${login}.csv`);
      await writeStatementCsv(statement, res);
    } else {
      res.type('application/json');
      await writeStatementJson(statement, res);
    }
  });

  router.get('/accounts/:login/balance', async (req, res) => {
    const query = parseWith(balanceAtQuery, req.query);
    const balance = await core.reconciliation.balanceAt(pathLogin(req.params.login), readMoment(query.at));
    sendJson(res, 200, presentBalanceAt(balance));
  });

  router.get('/ledger/export', async (req, res) => {
    const query = parseWith(exportQuery, req.query);
    const period = readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS);
    const rows = await core.reconciliation.ledgerPostings(period, { actor: ADMIN_API_ACTOR, format: 'csv' });
    attachment(res, 'ledger.csv');
    await writeLedgerCsv(rows, res);
  });

  router.post(
    '/reconciliation/match',
    express.raw({ type: () => true, limit: MATCH_UPLOAD_BYTES_MAX }),
    async (req, res) => {
      const query = parseWith(matchQuery, req.query);
      const period = query.from || query.to ? readPeriod(query.from, query.to, 'all') : undefined;
      const report = await matchUpload(core.matching, req.body, query, period, ADMIN_API_ACTOR);
      sendJson(res, 200, report);
    },
  );

  return router;
}

function attachment(res: Response, filename: string): void {
  res.type('text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
}
