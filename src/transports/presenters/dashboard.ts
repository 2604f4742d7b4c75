import type { Dashboard, DashboardDay } from '../../core/dashboard/dashboard-service';
import { periodDetail } from '../../core/reconciliation/period';
import { unitsOf } from './units';

/** A day's figure in the core (`depositsMinor`), and its name as presented (`deposits`). */
type MinorFigure = Exclude<keyof DashboardDay, 'day' | 'accountsTraded'>;
type FigureName<F extends MinorFigure> = F extends `${infer Name}Minor` ? Name : never;

/** One UTC day of a currency: every figure in the currency's units. */
export type PresentedDashboardDay = { day: string; accountsTraded: number } & {
  [F in MinorFigure as FigureName<F>]: string;
};

export interface PresentedDashboard {
  from: string;
  to: string;
  currencies: Array<{
    currency: string;
    exposure: { held: string; accountsWithOpenTrades: number };
    days: PresentedDashboardDay[];
  }>;
}

/** The dashboard in currency units. */
export function presentDashboard(dashboard: Dashboard): PresentedDashboard {
  return {
    ...periodDetail(dashboard.period),
    currencies: dashboard.currencies.map(({ currency, exposure, days }) => {
      const units = unitsOf(currency);
      return {
        currency,
        exposure: { held: units(exposure.heldMinor), accountsWithOpenTrades: exposure.accountsWithOpenTrades },
        days: days.map((day) => ({
          day: day.day,
          deposits: units(day.depositsMinor),
          withdrawals: units(day.withdrawalsMinor),
          bonusGranted: units(day.bonusGrantedMinor),
          bonusRemoved: units(day.bonusRemovedMinor),
          adjustmentsIn: units(day.adjustmentsInMinor),
          adjustmentsOut: units(day.adjustmentsOutMinor),
          fees: units(day.feesMinor),
          swaps: units(day.swapsMinor),
          debits: units(day.debitsMinor),
          stakes: units(day.stakesMinor),
          payouts: units(day.payoutsMinor),
          houseResult: units(day.houseResultMinor),
          settledResult: units(day.settledResultMinor),
          accountsTraded: day.accountsTraded,
        })),
      };
    }),
  };
}
