import { ValidationError } from '../../shared/errors';
import {
  ADMIN_OPERATIONS,
  MANAGER_FINANCE_KINDS,
  type AdminOperation,
  type ManagerFinanceFamily,
} from '../balance-operations/operation-kinds';
import { checkPeriod } from '../reconciliation/reconciliation-service';
import type { Period } from '../reconciliation/reconciliation-store';
import { TRADE_OPERATIONS } from '../ledger/ledger-service';
import type { DashboardStore, OperationDayRow } from './dashboard-store';

/** The longest period the dashboard answers, in UTC days (a leap year). */
export const DASHBOARD_DAYS_MAX = 366;
const DAY_MS = 86_400_000;

/**
 * One currency's figures of one UTC day, in minor units. Each figure is the net of its journal
 * entries that day, stated in the direction its name says: a deletion (DeleteBalance) is posted on
 * the record's own operation, so reversing a deposit lowers that day's deposits, and a figure can
 * be negative on a day that reversed more than it booked.
 */
export interface DashboardDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Paid in on the cash book (admin add, manager BalanceIn). */
  depositsMinor: bigint;
  /** Paid out on the cash book (admin sub, manager BalanceOut). */
  withdrawalsMinor: bigint;
  /** Bonus credit granted (admin credit, manager CreditIn). */
  bonusGrantedMinor: bigint;
  /** Bonus credit taken back (manager CreditOut). */
  bonusRemovedMinor: bigint;
  /** Adjustment entries that raised a balance. */
  adjustmentsInMinor: bigint;
  /** Adjustment entries that lowered a balance, as a positive amount. */
  adjustmentsOutMinor: bigint;
  /** Commissions charged. */
  feesMinor: bigint;
  /** Swaps charged. */
  swapsMinor: bigint;
  /** Admin debit operations: balance raised against the debit book. */
  debitsMinor: bigint;
  /** Stakes of the trades opened that day, taken into held. */
  stakesMinor: bigint;
  /** Paid to clients by the trades closed that day. */
  payoutsMinor: bigint;
  /** stakes - payouts: what the day's trading took from clients (open stakes included). */
  houseResultMinor: bigint;
  /** Stakes minus payouts of the trades closed that day: the house book's takings. */
  settledResultMinor: bigint;
  /** Accounts that opened or closed a trade. */
  accountsTraded: number;
}

export interface CurrencyDashboard {
  currency: string;
  /** Now, whatever the period: stakes of open trades, and the accounts holding them. */
  exposure: { heldMinor: bigint; accountsWithOpenTrades: number };
  /** Every UTC day the period touches, oldest first (zero figures on a quiet day). */
  days: DashboardDay[];
}

export interface Dashboard {
  period: Period;
  /** Every currency that has an account, by code. */
  currencies: CurrencyDashboard[];
}

type FinanceKind = (typeof ADMIN_OPERATIONS)[AdminOperation] | (typeof MANAGER_FINANCE_KINDS)[ManagerFinanceFamily];
/** How one operation's sums of a day add to the day's figures. */
type Contribution = (day: DashboardDay, sums: OperationDayRow) => void;

const netChange = (sums: OperationDayRow) => BigInt(sums.funds_in_minor) + BigInt(sums.funds_out_minor);

/**
 * The figure of a finance operation, by the system book that takes its other side (an update or a
 * deletion of a record stays on the record's own operation and book). Switched over every book the
 * operation kinds name: a new book does not compile until it has a figure.
 */
function financeContribution(kind: FinanceKind): Contribution {
  switch (kind.systemBook) {
    case 'cash':
      return kind.direction === 1
        ? (day, sums) => (day.depositsMinor += netChange(sums))
        : (day, sums) => (day.withdrawalsMinor -= netChange(sums));
    case 'bonus':
      return kind.direction === 1
        ? (day, sums) => (day.bonusGrantedMinor += netChange(sums))
        : (day, sums) => (day.bonusRemovedMinor -= netChange(sums));
    case 'adjustment':
      // signed by nature: its raises and its cuts are reported apart
      return (day, sums) => {
        day.adjustmentsInMinor += BigInt(sums.funds_in_minor);
        day.adjustmentsOutMinor -= BigInt(sums.funds_out_minor);
      };
    case 'commission':
      return (day, sums) => (day.feesMinor -= netChange(sums));
    case 'swap':
      return (day, sums) => (day.swapsMinor -= netChange(sums));
    case 'debit':
      return (day, sums) => (day.debitsMinor += netChange(sums));
  }
}

/** Every operation a journal entry can carry, with its contribution (admin and manager kinds may share a name). */
const CONTRIBUTIONS = new Map<string, Contribution>([
  ...[...Object.values(ADMIN_OPERATIONS), ...Object.values(MANAGER_FINANCE_KINDS)].map(
    (kind): [string, Contribution] => [kind.name, financeContribution(kind)],
  ),
  // an opening moves the stake from balance and credit into held
  [TRADE_OPERATIONS.open, (day, sums) => (day.stakesMinor += BigInt(sums.held_change_minor))],
  // a closing releases the stake from held and pays the payout into balance and credit
  [
    TRADE_OPERATIONS.close,
    (day, sums) => {
      day.payoutsMinor += BigInt(sums.available_change_minor);
      day.settledResultMinor -= netChange(sums);
    },
  ],
]);

/**
 * The finance team's dashboard: per currency and UTC day, the money that came in and went out by
 * kind and the trading result, from the journal alone (so the figures are the ledger's), and the
 * exposure of open trades now.
 */
export class DashboardService {
  constructor(private readonly store: DashboardStore) {}

  async dashboard(period: Period): Promise<Dashboard> {
    checkPeriod(period);
    const dayNames = periodDays(period);
    const [operationDays, exposure] = await Promise.all([this.store.operationDays(period), this.store.exposure()]);

    const dashboards = new Map<string, CurrencyDashboard & { byDay: Map<string, DashboardDay> }>();
    const currencyOf = (currency: string) => {
      let dashboard = dashboards.get(currency);
      if (!dashboard) {
        const days = dayNames.map(emptyDay);
        dashboard = {
          currency,
          exposure: { heldMinor: 0n, accountsWithOpenTrades: 0 },
          days,
          byDay: new Map(days.map((day) => [day.day, day])),
        };
        dashboards.set(currency, dashboard);
      }
      return dashboard;
    };
    for (const row of exposure) {
      currencyOf(row.currency).exposure = {
        heldMinor: BigInt(row.held_minor),
        accountsWithOpenTrades: Number(row.accounts_with_open_trades),
      };
    }
    for (const row of operationDays) {
      const contribution = CONTRIBUTIONS.get(row.operation);
      // an operation the dashboard cannot place would make its totals differ from the ledger's
      if (!contribution)
        throw new Error(`the dashboard has no figure for the ledger operation ${JSON.stringify(row.operation)}`);
      const day = currencyOf(row.currency).byDay.get(row.day)!;
      contribution(day, row);
      day.accountsTraded = Number(row.accounts_traded);
    }
    const currencies = [...dashboards.values()]
      .sort((a, b) => (a.currency < b.currency ? -1 : 1))
      .map(({ currency, exposure: held, days }) => ({
        currency,
        exposure: held,
        days: days.map((day) => ({ ...day, houseResultMinor: day.stakesMinor - day.payoutsMinor })),
      }));
    return { period, currencies };
  }
}

/** Every UTC day the period touches (`to` is excluded), refused beyond DASHBOARD_DAYS_MAX. */
function periodDays(period: Period): string[] {
  const first = Math.floor(period.from.getTime() / DAY_MS);
  const last = Math.floor((period.to.getTime() - 1) / DAY_MS);
  const count = last - first + 1;
  if (count > DASHBOARD_DAYS_MAX) {
    throw new ValidationError(`the dashboard covers at most ${DASHBOARD_DAYS_MAX} days; this period touches ${count}`, {
      daysMax: DASHBOARD_DAYS_MAX,
      days: count,
    });
  }
  return Array.from({ length: count }, (_, index) => new Date((first + index) * DAY_MS).toISOString().slice(0, 10));
}

function emptyDay(day: string): DashboardDay {
  return {
    day,
    depositsMinor: 0n,
    withdrawalsMinor: 0n,
    bonusGrantedMinor: 0n,
    bonusRemovedMinor: 0n,
    adjustmentsInMinor: 0n,
    adjustmentsOutMinor: 0n,
    feesMinor: 0n,
    swapsMinor: 0n,
    debitsMinor: 0n,
    stakesMinor: 0n,
    payoutsMinor: 0n,
    houseResultMinor: 0n,
    settledResultMinor: 0n,
    accountsTraded: 0,
  };
}
