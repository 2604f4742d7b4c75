import type { components, operations } from './generated/openapi';

/**
 * Names for the generated types of the HTTP APIs (src/generated/openapi.ts, from the service's own
 * OpenAPI document). Only amounts are narrowed: the service also accepts JSON numbers, the SDK
 * sends decimal strings alone, so that no amount ever passes through a binary double.
 */

type Schemas = components['schemas'];
type JsonBody<Operation extends keyof operations> = operations[Operation]['requestBody'] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;
type JsonAnswer<Operation extends keyof operations, Status extends number> =
  operations[Operation]['responses'] extends Record<Status, { content: { 'application/json': infer Body } }>
    ? Body
    : never;
type Query<Operation extends keyof operations> = NonNullable<operations[Operation]['parameters']['query']>;
/** An exact decimal as text, such as "250.00" (at most the currency's decimals). */
export type DecimalString = string;
type WithDecimalAmount<Body> = Omit<Body, 'amount'> & { amount: DecimalString };

/** The wallet API's answer as the document declares it (5xx statuses included). */
export type WalletAnswer = Schemas['WalletAnswer'];

export type Account = Schemas['Account'];
export type LedgerEntry = Schemas['Entry'];
export type ReconciliationReport = Schemas['ReconciliationReport'];
export type Statement = Schemas['Statement'];
export type PointInTimeBalance = Schemas['PointInTimeBalance'];
export type MatchReport = Schemas['MatchReport'];
/** A run of the history (a reconciliation or a match, dry or applied): who, when, period, options, summary. */
export type ReconciliationRun = Schemas['Run'];
/** A run with its answer as it was given (a ReconciliationReport or a MatchReport). */
export type ReconciliationRunWithResult = Schemas['RunWithResult'];
/** A journal entry with its postings and its account's login (where a discrepancy's entry ids lead). */
export type JournalEntry = Schemas['JournalEntry'];
/** The finance dashboard: per currency, the exposure now and the figures of every UTC day of the period. */
export type Dashboard = Schemas['Dashboard'];
/** The service's error body of the admin and operator APIs. */
export type ErrorBody = Schemas['Error'];

export type LaunchToken = JsonAnswer<'createLaunchToken', 201>;
export type CreateAccountRequest = JsonBody<'createAccount'>;
export type AccountStatus = JsonBody<'setAccountStatus'>['status'];
export type AccountsPage = JsonAnswer<'listAccounts', 200>;
export type AccountsQuery = Query<'listAccounts'>;
export type TransactionsPage = JsonAnswer<'listAccountTransactions', 200>;
export type TransactionsQuery = Query<'listAccountTransactions'>;
export type BalanceOperationRequest = WithDecimalAmount<JsonBody<'applyBalanceOperation'>>;
export type BalanceOperationKind = BalanceOperationRequest['operation'];
export type CreateManagerRequest = JsonBody<'createManager'>;
export type ManagerRole = CreateManagerRequest['role'];
export type ManagerUser = JsonAnswer<'createManager', 201>;
/** A period of the reports: UTC days (`to` included) or date-times. */
export type ReconciliationQuery = Query<'reconcile'>;
export type DailyTotals = JsonAnswer<'dailyTotals', 200>;
export type PeriodQuery = Omit<Query<'dailyTotals'>, 'format'>;
export type MatchQuery = Query<'matchExternalRecords'>;
export type RunsPage = JsonAnswer<'listReconciliationRuns', 200>;
export type RunsQuery = Query<'listReconciliationRuns'>;
export type Health = JsonAnswer<'health', 200>;

// The argument of each SDK method is one object: the path parameters (`login`, `id`) are fields beside
// the operation's query or body fields, so that no call depends on the order of its arguments.

/** An account, by its login. */
export type AccountLogin = { login: number };
export type GetAccountRequest = AccountLogin;
export type SetAccountStatusRequest = AccountLogin & { status: AccountStatus };
export type ListTransactionsRequest = AccountLogin & TransactionsQuery;
/** `pageSize`: the entries fetched per request (the service's default when unset). */
export type TransactionsRequest = AccountLogin & { pageSize?: number };
export type StatementRequest = AccountLogin & PeriodQuery;
/** `at`: a UTC day (its end) or a date-time; now when unset. */
export type BalanceAtRequest = AccountLogin & { at?: string };
/** `csv`: the external file's text, a header line first. */
export type MatchRequest = MatchQuery & { csv: string };
export type RunsRequest = { kind?: RunsQuery['kind']; pageSize?: number };
export type GetRunRequest = { id: string };
export type GetJournalEntryRequest = { id: number | string };
export type LaunchTokenRequest = JsonBody<'createLaunchToken'>;
