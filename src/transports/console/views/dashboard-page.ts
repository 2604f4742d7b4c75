import type { CurrencyDashboard, Dashboard, DashboardDay } from '../../../core/dashboard/dashboard-service';
import { unitsOf } from '../../presenters/units';
import { CHART_LIBRARY_ROUTE, consoleHref } from '../console-assets';
import { money, readableTime } from './fragments';
import { html, type SafeHtml } from './html';
import { layout, type PageContext } from './layout';

/** The dashboard's periods: the last 30 or 90 days. */
export const DASHBOARD_PERIODS_DAYS = [30, 90] as const;
export type DashboardPeriodDays = (typeof DASHBOARD_PERIODS_DAYS)[number];

/** The core's dashboard of the period chosen (amounts in minor units, as the core keeps them). */
export interface DashboardPageModel {
  dashboard: Dashboard;
  days: DashboardPeriodDays;
}

type DayFigure = Exclude<keyof DashboardDay, 'day' | 'accountsTraded'>;
type Figures = ReadonlyArray<readonly [DayFigure, string]>;

/** Money in and out of the clients' accounts, by kind. */
const FLOW_FIGURES: Figures = [
  ['depositsMinor', 'Deposits'],
  ['withdrawalsMinor', 'Withdrawals'],
  ['bonusGrantedMinor', 'Bonus granted'],
  ['bonusRemovedMinor', 'Bonus removed'],
  ['adjustmentsInMinor', 'Adjustments in'],
  ['adjustmentsOutMinor', 'Adjustments out'],
  ['feesMinor', 'Fees'],
  ['swapsMinor', 'Swaps'],
  ['debitsMinor', 'Debits'],
];
/** The trading result. */
const TRADING_FIGURES: Figures = [
  ['stakesMinor', 'Stakes'],
  ['payoutsMinor', 'Payouts'],
  ['houseResultMinor', 'House result'],
  ['settledResultMinor', 'Settled result'],
];

/** The chart script's name for a figure (`depositsMinor` -> `deposits`). */
const figureName = (figure: DayFigure) => figure.replace(/Minor$/, '');

/**
 * The finance dashboard: per currency, the period's totals and open exposure, two charts (deposits
 * against withdrawals, house result per day) and the figures of every day. The charts are drawn by
 * Chart.js, served by the console itself, from the tables' own cells: the page carries its numbers
 * once, as text a person reads.
 */
export function dashboardPage(page: PageContext, { dashboard, days }: DashboardPageModel): string {
  const { from, to } = dashboard.period;
  const switches = DASHBOARD_PERIODS_DAYS.map(
    (choice) =>
      html`<a href="/console/dashboard?days=${choice}" class="${choice === days ? 'active' : ''}" id="days-${choice}">\
Last ${choice} days</a>`,
  );
  const currencies = dashboard.currencies.length
    ? dashboard.currencies.map(currencyDashboard)
    : html`<p class="muted">No accounts yet.</p>`;
  const body = html`<h1>Dashboard</h1>
    <div class="switch" id="period-switch">
      ${switches}
    </div>
    <p class="muted" id="period">${readableTime(from.toISOString())} – ${readableTime(to.toISOString())} UTC, \
per UTC day, newest first. Amounts are what the ledger booked, net of corrections.</p>
    ${currencies}`;
  const libraries = [consoleHref(CHART_LIBRARY_ROUTE)];
  return layout({ title: 'Dashboard', page, active: 'dashboard', body, libraries, script: 'dashboard' });
}

/** One table of a currency's days (newest first) and its totals; `traded` adds the accounts that traded. */
function daysTable(
  dashboard: CurrencyDashboard,
  id: string,
  caption: string,
  figures: Figures,
  traded: boolean,
): SafeHtml {
  const { currency } = dashboard;
  const units = unitsOf(currency);
  const figureCell = (day: DashboardDay, figure: DayFigure) =>
    html`<td class="num" data-figure="${figureName(figure)}" data-value="${units(day[figure])}">\
${money(units(day[figure]), currency)}</td>`;
  const tradedCell = (day: DashboardDay) => (traded ? html`<td class="num">${day.accountsTraded}</td>` : '');
  const row = (day: DashboardDay) =>
    html`<tr data-day="${day.day}"><td class="nowrap">${day.day}</td>\
${figures.map(([figure]) => figureCell(day, figure))}${tradedCell(day)}</tr>`;
  const headings = figures.map(([, label]) => html`<th class="num">${label}</th>`);
  const totals = figures.map(
    ([figure]) => html`<td class="num">${money(units(total(dashboard, figure)), currency)}</td>`,
  );
  return html`<h3>${caption}</h3>
    <table class="days" id="${id}-${currency}" data-chart-source="${id}">
      <thead><tr><th>Day</th>${headings}${traded ? html`<th class="num">Accounts traded</th>` : ''}</tr></thead>
      <tbody>${[...dashboard.days].reverse().map(row)}</tbody>
      <tfoot><tr><td>Total</td>${totals}${traded ? html`<td></td>` : ''}</tr></tfoot>
    </table>`;
}

function currencyDashboard(dashboard: CurrencyDashboard): SafeHtml {
  const { currency, exposure } = dashboard;
  const units = unitsOf(currency);
  const figure = (id: string, name: string, value: SafeHtml) =>
    html`<div class="bucket" data-figure-total="${id}"><div class="name">${name}</div>\
<div class="value">${value}</div></div>`;
  const totalOf = (dayFigure: DayFigure) => money(units(total(dashboard, dayFigure)), currency);
  const exposureNow = html`${money(units(exposure.heldMinor), currency)}<div class="muted">\
${exposure.accountsWithOpenTrades} account(s) with open trades</div>`;
  const chart = (kind: string, label: string) =>
    html`<div class="chart"><canvas class="${kind}-chart" role="img" aria-label="${label} per day in ${currency}">\
</canvas></div>`;
  return html`<section class="card currency" data-currency="${currency}" id="currency-${currency}">
      <h2>${currency}</h2>
      <div class="buckets">
        ${figure('deposits', 'Deposits', totalOf('depositsMinor'))}
        ${figure('withdrawals', 'Withdrawals', totalOf('withdrawalsMinor'))}
        ${figure('bonus', 'Bonus granted', totalOf('bonusGrantedMinor'))}
        ${figure('house-result', 'House result', totalOf('houseResultMinor'))}
        ${figure('exposure', 'Open exposure now', exposureNow)}
      </div>
      <div class="charts">
        ${chart('flows', 'Deposits and withdrawals')}
        ${chart('result', 'House result')}
      </div>
      ${daysTable(dashboard, 'flows', 'Money in and out', FLOW_FIGURES, false)}
      ${daysTable(dashboard, 'trading', 'Trading', TRADING_FIGURES, true)}
    </section>`;
}

function total(dashboard: CurrencyDashboard, figure: DayFigure): bigint {
  return dashboard.days.reduce((sum, day) => sum + day[figure], 0n);
}
