import { Router } from 'express';
import { readPeriod } from '../../../core/reconciliation/period';
import { ValidationError } from '../../../shared/errors';
import { dashboardPage, DASHBOARD_PERIODS_DAYS } from '../views/dashboard-page';
import { allow } from './guards';
import { pageOf, queryText, sendPage, type ConsoleDeps } from './kit';

/** The finance dashboard, over the last 30 or 90 days (`?days=`). */
export function dashboardRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/dashboard', allow('read'), async (req, res) => {
    const given = queryText(req, 'days') || String(DASHBOARD_PERIODS_DAYS[0]);
    const days = DASHBOARD_PERIODS_DAYS.find((choice) => String(choice) === given);
    if (days === undefined) throw new ValidationError(`days must be one of ${DASHBOARD_PERIODS_DAYS.join(', ')}`);
    const dashboard = await deps.core.dashboard.dashboard(readPeriod(undefined, undefined, days));
    sendPage(res, 200, dashboardPage(pageOf(res), { dashboard, days }));
  });
  return router;
}
