import type { ManagerClient } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { managerClient } from '../../support/manager';
import { ledgerDiscrepancies, startTestService, type TestService } from '../../support/test-service';

/**
 * GET /admin/reports/dashboard over a workload of every kind in two currencies (admin balance
 * operations, manager finance commands with deletions, wallet trades won, lost, tied and left
 * open): every figure equals a sum over the journal's postings computed here by book, per currency
 * and day, and the hand-counted totals of the workload; the exposure equals the accounts' held.
 */

let target: TestService;
let api: TestApi;
let manager: ManagerClient;
let tradeSeq = 0;

const DAY_MS = 86_400_000;
const dayOf = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY_MS).toISOString().slice(0, 10);
/** Around the workload: a test that crosses midnight UTC still has all its entries in the period. */
let period: { from: string; to: string };

interface DayFigures {
  day: string;
  [figure: string]: string | number;
}
interface CurrencyFigures {
  currency: string;
  exposure: { held: string; accountsWithOpenTrades: number };
  days: DayFigures[];
}
interface DashboardBody {
  from: string;
  to: string;
  currencies: CurrencyFigures[];
}

const AMOUNT_FIGURES = [
  'deposits',
  'withdrawals',
  'bonusGranted',
  'bonusRemoved',
  'adjustmentsIn',
  'adjustmentsOut',
  'fees',
  'swaps',
  'debits',
  'stakes',
  'payouts',
  'houseResult',
  'settledResult',
];

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  manager = (await managerClient(api, target.service.managerPort)).client;
  period = { from: dayOf(-1), to: dayOf(1) };
  await workload();
});
afterEach(async () => {
  expect(await ledgerDiscrepancies(target.sql)).toEqual([]);
});
afterAll(async () => {
  await manager.close();
  api.close();
  await target.stop();
});

async function admin(login: number, operation: string, amount: string, referenceId?: string): Promise<void> {
  const response = await api.balanceOperation(login, operation, amount, referenceId);
  if (response.status !== 200) throw new Error(`${operation} ${amount} failed: ${response.text}`);
}

async function command(name: string, data: Record<string, unknown>): Promise<number> {
  const answer = await manager.command(name, data);
  if (answer.status !== 200) throw new Error(`${name} failed: ${JSON.stringify(answer)}`);
  return Number(answer.data.order);
}

async function orderOfReference(referenceId: string): Promise<number> {
  const { rows } = await target.sql.query(
    'SELECT order_no::int AS order FROM finance_records WHERE reference_id = $1',
    [referenceId],
  );
  return rows[0].order as number;
}

async function trade(token: string, currency: string, stake: string, payout: string | null): Promise<void> {
  tradeSeq += 1;
  const key = { externalTradeType: 'options', externalTradeId: `dash-${tradeSeq}` };
  expect(await api.wallet.call('opentrade', { token, currency, amount: stake, ...key })).toMatchObject({
    status: 'Ok',
  });
  if (payout !== null)
    expect(await api.wallet.call('closetrade', { token, currency, amount: payout, ...key })).toMatchObject({
      status: 'Ok',
    });
}

/** The hand-counted totals of this workload are in the first test. */
async function workload(): Promise<void> {
  const usd = await api.createAccount('USD');
  await admin(usd, 'add', '1000.00', 'dash-add');
  await admin(usd, 'sub', '100.00');
  await admin(usd, 'credit', '50.00');
  await admin(usd, 'debit', '20.00');
  await admin(usd, 'adjustment', '15.00');
  await admin(usd, 'adjustment', '-5.00', 'dash-adjustment-cut');
  await admin(usd, 'commission', '3.00');
  await admin(usd, 'swap', '1.25');
  await command('BalanceInSync', { login: usd, amount: 200, comment: 'PSP' });
  const reversed = await command('BalanceInSync', { login: usd, amount: 60, comment: 'PSP, charged back' });
  await command('DeleteBalanceSync', { order: reversed });
  await command('BalanceOutSync', { login: usd, amount: -30 });
  await command('CreditInSync', { login: usd, amount: 40, comment: 'welcome bonus' });
  await command('CreditOutSync', { login: usd, amount: -10, comment: 'bonus expired' });
  await command('DeleteBalanceSync', { order: await orderOfReference('dash-adjustment-cut') });

  const winner = await api.player('100.00', 'USD');
  await trade(winner.token, 'USD', '10', '25'); // won
  await trade(winner.token, 'USD', '20', '0'); // lost
  const holder = await api.player('10.00', 'USD');
  await admin(holder.login, 'credit', '5.00');
  await trade(holder.token, 'USD', '5', '5'); // tied
  await trade(holder.token, 'USD', '12', null); // left open: 10.00 from balance, 2.00 from credit

  const btc = await api.createAccount('BTC');
  await command('BalanceInSync', { login: btc, amount: 0.5 });
  await admin(btc, 'add', '0.00012345');
  await admin(btc, 'sub', '0.0001', 'dash-btc-sub');
  await admin(btc, 'commission', '0.0000001');
  await command('DeleteBalanceSync', { order: await orderOfReference('dash-btc-sub') });
  const btcPlayer = await api.player('1', 'BTC');
  await trade(btcPlayer.token, 'BTC', '0.1', '0.15'); // won
  await trade(btcPlayer.token, 'BTC', '0.2', null); // left open
}

async function dashboard(query: string) {
  return api.admin('GET', `/admin/reports/dashboard${query}`);
}

/**
 * The figures per currency and day summed here from the postings of each book (the dashboard reads
 * the entries' bucket changes), formatted in currency units by SQL with the currency's scale.
 */
async function ledgerFigures(from: Date, to: Date): Promise<Map<string, DayFigures>> {
  const { rows } = await target.sql.query(
    `WITH lines AS (
       SELECT e.currency, to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.login, e.operation, p.book, p.amount_minor
         FROM journal_entries e JOIN postings p ON p.entry_id = e.id
        WHERE e.created_at >= $1 AND e.created_at < $2),
     sums AS (
       SELECT currency, day,
              -sum(amount_minor) FILTER (WHERE book = 'cash' AND operation IN ('add', 'balance_in')) AS deposits,
              sum(amount_minor) FILTER (WHERE book = 'cash' AND operation IN ('sub', 'balance_out')) AS withdrawals,
              sum(amount_minor) FILTER (WHERE book = 'credit' AND operation IN ('credit', 'credit_in')) AS bonus_granted,
              -sum(amount_minor) FILTER (WHERE book = 'credit' AND operation = 'credit_out') AS bonus_removed,
              sum(amount_minor) FILTER (WHERE book = 'balance' AND operation = 'adjustment' AND amount_minor > 0) AS adjustments_in,
              -sum(amount_minor) FILTER (WHERE book = 'balance' AND operation = 'adjustment' AND amount_minor < 0) AS adjustments_out,
              sum(amount_minor) FILTER (WHERE book = 'commission') AS fees,
              sum(amount_minor) FILTER (WHERE book = 'swap') AS swaps,
              -sum(amount_minor) FILTER (WHERE book = 'debit') AS debits,
              sum(amount_minor) FILTER (WHERE book = 'held' AND operation = 'trade_open') AS stakes,
              sum(amount_minor) FILTER (WHERE book IN ('balance', 'credit') AND operation = 'trade_close') AS payouts,
              sum(amount_minor) FILTER (WHERE book = 'house') AS settled_result,
              count(DISTINCT login) FILTER (WHERE operation IN ('trade_open', 'trade_close'))::int AS accounts_traded
         FROM lines GROUP BY currency, day)
     SELECT s.currency, s.day, s.accounts_traded, units.*
       FROM sums s JOIN currencies c ON c.code = s.currency
      CROSS JOIN LATERAL (
        SELECT ${[
          ['deposits', 's.deposits'],
          ['withdrawals', 's.withdrawals'],
          ['bonusGranted', 's.bonus_granted'],
          ['bonusRemoved', 's.bonus_removed'],
          ['adjustmentsIn', 's.adjustments_in'],
          ['adjustmentsOut', 's.adjustments_out'],
          ['fees', 's.fees'],
          ['swaps', 's.swaps'],
          ['debits', 's.debits'],
          ['stakes', 's.stakes'],
          ['payouts', 's.payouts'],
          ['houseResult', 'coalesce(s.stakes, 0) - coalesce(s.payouts, 0)'],
          ['settledResult', 's.settled_result'],
        ]
          .map(
            ([name, sum]) => `round(coalesce(${sum}, 0)::numeric / 10::numeric ^ c.scale, c.scale)::text AS "${name}"`,
          )
          .join(', ')}) units`,
    [from, to],
  );
  return new Map(
    rows.map(({ currency, accounts_traded: accountsTraded, ...figures }) => [
      `${currency} ${figures.day}`,
      { ...figures, accountsTraded } as DayFigures,
    ]),
  );
}

/** A day the ledger has nothing for: every amount zero in the currency's scale. */
function quietDay(day: string, zero: string): DayFigures {
  return { day, ...Object.fromEntries(AMOUNT_FIGURES.map((figure) => [figure, zero])), accountsTraded: 0 };
}

/** The totals of the period per currency, in minor units of the API's decimals (exact: digits only). */
function totals(currency: CurrencyFigures): Record<string, string | number> {
  const sum = (figure: string) => {
    const minor = currency.days.reduce((total, day) => total + BigInt(String(day[figure]).replace('.', '')), 0n);
    return minor.toString();
  };
  return {
    ...Object.fromEntries(AMOUNT_FIGURES.map((figure) => [figure, sum(figure)])),
    accountsTraded: currency.days.reduce((total, day) => total + Number(day.accountsTraded), 0),
  };
}

describe('the figures', () => {
  it('equal the sums of the ledger per currency and day, and the workload counted by hand', async () => {
    const response = await dashboard(`?from=${period.from}&to=${period.to}`);
    expect(response.status).toBe(200);
    const body = response.body as DashboardBody;
    const from = new Date(`${period.from}T00:00:00Z`);
    const to = new Date(from.getTime() + 3 * DAY_MS); // the end of period.to
    expect(body).toMatchObject({ from: from.toISOString(), to: to.toISOString() });
    expect(body.currencies.map((currency) => currency.currency)).toEqual(['BTC', 'USD']);

    const ledger = await ledgerFigures(from, to);
    expect(ledger.size).toBeGreaterThanOrEqual(2);
    const zeros: Record<string, string> = { BTC: '0.00000000', USD: '0.00' };
    for (const currency of body.currencies) {
      expect(currency.days.map((day) => day.day)).toEqual([dayOf(-1), dayOf(0), dayOf(1)]);
      for (const day of currency.days) {
        const expected = ledger.get(`${currency.currency} ${day.day}`);
        expect(day).toEqual(expected ?? quietDay(day.day, zeros[currency.currency]!));
      }
    }

    const [btc, usd] = body.currencies as [CurrencyFigures, CurrencyFigures];
    // minor units: USD cents, BTC satoshis
    expect(totals(usd)).toEqual({
      deposits: '131000', // 1000 + 200 + 60 - 60 (deleted) + 100 + 10 (the players)
      withdrawals: '13000', // 100 + 30
      bonusGranted: '9500', // 50 + 40 + 5
      bonusRemoved: '1000',
      adjustmentsIn: '2000', // 15, and the deletion of the -5 cut
      adjustmentsOut: '500',
      fees: '300',
      swaps: '125',
      debits: '2000',
      stakes: '4700', // 10 + 20 + 5 + 12 (open)
      payouts: '3000', // 25 + 0 + 5
      houseResult: '1700',
      settledResult: '500', // -15 + 20 + 0
      accountsTraded: 2,
    });
    expect(totals(btc)).toMatchObject({
      deposits: '150012345', // 0.5 + 0.00012345 + 1
      withdrawals: '0', // 0.0001, deleted
      fees: '10',
      stakes: '30000000',
      payouts: '15000000',
      houseResult: '15000000',
      settledResult: '-5000000',
      accountsTraded: 1,
    });
  });

  it('states the exposure now: the held bucket of the accounts and how many hold a stake', async () => {
    const body = (await dashboard('')).body as DashboardBody;
    const { rows } = await target.sql.query(
      `SELECT a.currency, round(sum(a.held_minor)::numeric / 10::numeric ^ c.scale, c.scale)::text AS held,
              count(*) FILTER (WHERE a.held_minor > 0)::int AS holders
         FROM accounts a JOIN currencies c ON c.code = a.currency GROUP BY a.currency, c.scale ORDER BY a.currency`,
    );
    expect(
      body.currencies.map(({ currency, exposure }) => ({
        currency,
        held: exposure.held,
        holders: exposure.accountsWithOpenTrades,
      })),
    ).toEqual(rows);
    expect(rows).toEqual([
      { currency: 'BTC', held: '0.20000000', holders: 1 },
      { currency: 'USD', held: '12.00', holders: 1 },
    ]);
    // the default period: the last 30 days up to now
    expect(body.currencies[0]!.days).toHaveLength(31);
  });

  it('counts a date-time period to the instant: nothing after its end', async () => {
    const { rows } = await target.sql.query('SELECT min(created_at) AS first FROM journal_entries');
    const body = (
      await dashboard(`?from=${period.from}&to=${encodeURIComponent((rows[0].first as Date).toISOString())}`)
    ).body as DashboardBody;
    for (const currency of body.currencies) {
      expect(currency.days.every((day) => AMOUNT_FIGURES.every((figure) => /^0\.0+$/.test(String(day[figure]))))).toBe(
        true,
      );
    }
  });
});

describe('periods', () => {
  it('answers a period without entries with zero on every day, and the exposure', async () => {
    const response = await dashboard('?from=2020-02-28&to=2020-03-01');
    expect(response.status).toBe(200);
    const usd = (response.body as DashboardBody).currencies.find((currency) => currency.currency === 'USD')!;
    expect(usd.days).toEqual(['2020-02-28', '2020-02-29', '2020-03-01'].map((day) => quietDay(day, '0.00')));
    expect(usd.exposure).toEqual({ held: '12.00', accountsWithOpenTrades: 1 });
  });

  it('answers up to 366 days and refuses a longer period', async () => {
    const year = await dashboard('?from=2025-01-01&to=2026-01-01');
    expect(year.status).toBe(200);
    expect((year.body as DashboardBody).currencies[0]!.days).toHaveLength(366);
    const longer = await dashboard('?from=2025-01-01&to=2026-01-02');
    expect(longer.status).toBe(400);
    expect(longer.body).toEqual({
      error: 'INVALID_REQUEST',
      message: 'the dashboard covers at most 366 days; this period touches 367',
    });
  });

  it('refuses an impossible date, an inverted period and an unknown parameter', async () => {
    for (const query of ['?from=2026-02-30', '?from=2026-03-02&to=2026-03-01', '?from=2026-03-01&currency=USD']) {
      const response = await dashboard(query);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'INVALID_REQUEST' });
    }
  });
});
