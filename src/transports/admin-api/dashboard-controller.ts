import { Router } from 'express';
import { z } from 'zod';
import { DECIMAL_SCHEMA, type ApiDescription, type JsonSchema } from '../http/api-description';
import { sendJson } from '../http/respond';
import { parseWith } from '../../shared/validation';
import type { Core } from '../../core/core';
import { DASHBOARD_DAYS_MAX } from '../../core/dashboard/dashboard-service';
import { DEFAULT_PERIOD_DAYS, readPeriod } from '../../core/reconciliation/period';
import { presentDashboard } from '../presenters/dashboard';

const dashboardQuery = z.strictObject({
  from: z
    .string()
    .max(40)
    .optional()
    .meta({
      description:
        `start: a UTC day such as 2026-11-01, or a date-time (UTC when it names no zone); default ` +
        `${DEFAULT_PERIOD_DAYS} days before the end`,
    }),
  to: z
    .string()
    .max(40)
    .optional()
    .meta({
      description:
        `end: a UTC day, included, or a date-time, excluded; default now. At most ` +
        `${DASHBOARD_DAYS_MAX} UTC days in all`,
    }),
});

const amount = (description: string): JsonSchema => ({ ...DECIMAL_SCHEMA, description });
const count = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });

/** The figures of a day, each in the direction its name says (the sign is stated where it can vary). */
const DAY_FIGURES: Record<string, JsonSchema> = {
  day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'the UTC day' },
  deposits: amount(
    'paid in on the cash book (admin add, manager BalanceIn), net of updates and deletions of such records that ' +
      'day; zero or positive, negative only on a day whose reversals exceed what it took in',
  ),
  withdrawals: amount(
    'paid out on the cash book (admin sub, manager BalanceOut), net of updates and deletions that day; zero or ' +
      'positive, negative only on a day whose reversals exceed what it paid out',
  ),
  bonusGranted: amount(
    'bonus credit granted (admin credit, manager CreditIn), net of updates and deletions that day; positive as a rule',
  ),
  bonusRemoved: amount(
    'bonus credit taken back (manager CreditOut), net of updates and deletions that day; positive as a rule',
  ),
  adjustmentsIn: amount('adjustment entries that raised a balance (a deletion of a cut included); zero or positive'),
  adjustmentsOut: amount(
    'adjustment entries that lowered a balance, as a positive amount (a deletion of a raise included); zero or ' +
      'positive',
  ),
  fees: amount('commissions charged to clients, net of updates and deletions that day; positive as a rule'),
  swaps: amount('swaps charged to clients, net of updates and deletions that day; positive as a rule'),
  debits: amount(
    'admin debit operations: balances raised against the debit book, net of updates and deletions that day; ' +
      'positive as a rule',
  ),
  stakes: amount('stakes of the trades opened that day, taken from balance and credit into held; zero or positive'),
  payouts: amount(
    'paid to clients by the trades closed that day (into balance, and credit for stakes funded by credit); zero ' +
      'or positive',
  ),
  houseResult: amount(
    "stakes - payouts: what the day's trading took from clients, stakes still open included; positive when more " +
      'was staked than paid out',
  ),
  settledResult: amount(
    'stakes minus payouts of the trades closed that day (the house book); positive when the house won them',
  ),
  accountsTraded: count('accounts that opened or closed a trade that day'),
};

/** The dashboard endpoint in the OpenAPI document. */
export const DASHBOARD_API: ApiDescription = {
  tags: [{ name: 'dashboard', description: "The finance team's figures per currency and day, from the ledger." }],
  operations: [
    {
      method: 'get',
      path: '/admin/reports/dashboard',
      operationId: 'dashboard',
      summary:
        'Money in and out, bonus, adjustments, fees and trading result per currency and UTC day, and the open ' +
        'exposure now',
      tag: 'dashboard',
      security: 'adminKey',
      query: dashboardQuery,
      responses: {
        '200': {
          description: 'the figures (every day of the period, zero on a quiet day; every currency that has an account)',
          json: 'Dashboard',
        },
        '400': {
          description:
            `an unreadable or impossible date, an inverted period, or one longer than ` + `${DASHBOARD_DAYS_MAX} days`,
          json: 'Error',
        },
      },
    },
  ],
  components: {
    Dashboard: {
      type: 'object',
      required: ['from', 'to', 'currencies'],
      properties: {
        from: { type: 'string', format: 'date-time', description: 'the start of the period, included' },
        to: { type: 'string', format: 'date-time', description: 'the end of the period, excluded' },
        currencies: { type: 'array', items: { $ref: '#/components/schemas/CurrencyDashboard' } },
      },
    },
    CurrencyDashboard: {
      type: 'object',
      description: "amounts are decimal strings in the currency's units",
      required: ['currency', 'exposure', 'days'],
      properties: {
        currency: { type: 'string' },
        exposure: {
          type: 'object',
          description: 'now, whatever the period',
          required: ['held', 'accountsWithOpenTrades'],
          properties: {
            held: amount("sum of every account's held bucket: the stakes of open trades; zero or positive"),
            accountsWithOpenTrades: count('accounts holding a stake'),
          },
        },
        days: {
          type: 'array',
          description: 'every UTC day the period touches, oldest first',
          items: { $ref: '#/components/schemas/DashboardDay' },
        },
      },
    },
    DashboardDay: { type: 'object', required: Object.keys(DAY_FIGURES), properties: DAY_FIGURES },
  },
};

/** The dashboard endpoint of the admin API (mounted under /admin, behind the admin key). */
export function dashboardRouter(core: Pick<Core, 'dashboard'>): Router {
  const router = Router();
  router.get('/reports/dashboard', async (req, res) => {
    const query = parseWith(dashboardQuery, req.query);
    const dashboard = await core.dashboard.dashboard(readPeriod(query.from, query.to, DEFAULT_PERIOD_DAYS));
    sendJson(res, 200, presentDashboard(dashboard));
  });
  return router;
}
