import type {
  Account,
  AccountsPage,
  AccountsQuery,
  BalanceAtRequest,
  BalanceOperationRequest,
  CreateAccountRequest,
  Dashboard,
  CreateManagerRequest,
  DailyTotals,
  GetAccountRequest,
  GetJournalEntryRequest,
  GetRunRequest,
  LedgerEntry,
  ListTransactionsRequest,
  ManagerUser,
  MatchRequest,
  JournalEntry,
  MatchReport,
  ReconciliationRun,
  ReconciliationRunWithResult,
  RunsPage,
  RunsQuery,
  RunsRequest,
  PeriodQuery,
  ReconciliationQuery,
  ReconciliationReport,
  PointInTimeBalance,
  SetAccountStatusRequest,
  Statement,
  StatementRequest,
  TransactionsPage,
  TransactionsRequest,
} from './api-types';
import { BearerApiClient, queryString } from './bearer-api';

/**
 * The admin API (bearer ADMIN_API_KEY): accounts, balance operations, the ledger, reconciliation
 * and reports, manager users. Refusals are ApiError with the service's code (`ACCOUNT_NOT_FOUND`,
 * `CONFLICT`, `INSUFFICIENT_FUNDS`...); `ACCOUNT_BUSY` (503) is an UncertainOutcomeError.
 */
export class AdminClient extends BearerApiClient {
  protected static override readonly credential = 'ADMIN_API_KEY';

  createAccount(request: CreateAccountRequest): Promise<Account> {
    return this.json('POST', '/admin/accounts', request, 201);
  }

  getAccount({ login }: GetAccountRequest): Promise<Account> {
    return this.json('GET', accountPath(login), undefined, 200);
  }

  /** One page of accounts, searched by login prefix or name and filtered by status, in `sort` order; `nextCursor` is the next page's `cursor`. */
  listAccounts(query: AccountsQuery = {}): Promise<AccountsPage> {
    return this.json('GET', `/admin/accounts${queryString(query)}`, undefined, 200);
  }

  /** Disables an account (its getbalance and opentrade are refused; its open trades still settle) or enables it again. */
  setAccountStatus({ login, status }: SetAccountStatusRequest): Promise<Account> {
    return this.json('PATCH', accountPath(login), { status }, 200);
  }

  /**
   * Applies a typed balance operation (docs/admin-api.md#balance-operations). With a `referenceId`
   * it is applied once: a repeat with the same content succeeds again and moves nothing (so it may
   * be retried), other content is a CONFLICT. Without one, a retry after a lost answer may apply it
   * twice.
   */
  async applyBalanceOperation(request: BalanceOperationRequest): Promise<void> {
    await this.json<true>('POST', '/admin/balance', request, 200);
  }

  /** One page of the account's ledger entries, newest first; `nextCursor` is the next page's `cursor`. */
  listTransactions({ login, ...query }: ListTransactionsRequest): Promise<TransactionsPage> {
    return this.json('GET', `${accountPath(login)}/transactions${queryString(query)}`, undefined, 200);
  }

  /** Every ledger entry of the account, newest first, fetched page by page as the loop asks. */
  async *transactions({ login, pageSize }: TransactionsRequest): AsyncGenerator<LedgerEntry> {
    let cursor: string | undefined;
    do {
      const page = await this.listTransactions({ login, limit: pageSize, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** A manager user of the manager TCP API. */
  createManager(request: CreateManagerRequest): Promise<ManagerUser> {
    return this.json('POST', '/admin/managers', request, 201);
  }

  /** Every ledger invariant, with the discrepancies and the exceptions (orphan closes, stale holds...). */
  reconcile(query: ReconciliationQuery = {}): Promise<ReconciliationReport> {
    return this.json('GET', `/admin/reconciliation${queryString(query)}`, undefined, 200);
  }

  dailyTotals(period: PeriodQuery = {}): Promise<DailyTotals> {
    return this.json('GET', `/admin/reports/daily-totals${queryString({ ...period, format: 'json' })}`, undefined, 200);
  }

  /** Per currency and UTC day of the period (at most 366 days; the last 30 by default): money in and out, trading result; and the exposure now. */
  dashboard(period: PeriodQuery = {}): Promise<Dashboard> {
    return this.json('GET', `/admin/reports/dashboard${queryString(period)}`, undefined, 200);
  }

  dailyTotalsCsv(period: PeriodQuery = {}): Promise<string> {
    return this.csvReport(`/admin/reports/daily-totals${queryString({ ...period, format: 'csv' })}`);
  }

  statement({ login, ...period }: StatementRequest): Promise<Statement> {
    return this.json(
      'GET',
      `${accountPath(login)}/statement${queryString({ ...period, format: 'json' })}`,
      undefined,
      200,
    );
  }

  /** Each bucket as it stood at `at` (a UTC day: its end; a date-time); now when omitted. */
  balanceAt({ login, at }: BalanceAtRequest): Promise<PointInTimeBalance> {
    return this.json('GET', `${accountPath(login)}/balance${queryString({ at })}`, undefined, 200);
  }

  statementCsv({ login, ...period }: StatementRequest): Promise<string> {
    return this.csvReport(`${accountPath(login)}/statement${queryString({ ...period, format: 'csv' })}`);
  }

  /** The ledger's postings of the period as CSV (held in memory here: for very large ledgers use the CLI). */
  exportLedgerCsv(period: PeriodQuery = {}): Promise<string> {
    return this.csvReport(`/admin/ledger/export${queryString(period)}`);
  }

  /** Matches an external CSV (a payment provider's, the platform's) with the ledger; a dry run unless `dryRun: 'false'`. */
  matchExternalRecords({ csv, ...query }: MatchRequest): Promise<MatchReport> {
    return this.csvUpload(`/admin/reconciliation/match${queryString(query)}`, csv);
  }

  /** One page of the history of reconciliation and matching runs, newest first; `nextCursor` is the next page's `cursor`. */
  listRuns(query: RunsQuery = {}): Promise<RunsPage> {
    return this.json('GET', `/admin/reconciliation/runs${queryString(query)}`, undefined, 200);
  }

  /** Every run of the history (or of one kind), newest first, fetched page by page as the loop asks. */
  async *runs({ kind, pageSize }: RunsRequest = {}): AsyncGenerator<ReconciliationRun> {
    let cursor: string | undefined;
    do {
      const page = await this.listRuns({ kind, limit: pageSize, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** One run as it was: who ran it, when, its period and options, and its answer. */
  getRun({ id }: GetRunRequest): Promise<ReconciliationRunWithResult> {
    return this.json('GET', `/admin/reconciliation/runs/${encodeURIComponent(id)}`, undefined, 200);
  }

  /** A match run's items as CSV, one line per item, amounts in currency units. */
  matchRunItemsCsv({ id }: GetRunRequest): Promise<string> {
    return this.csvReport(`/admin/reconciliation/runs/${encodeURIComponent(id)}/items.csv`);
  }

  /** One journal entry with its postings and account (a reconciliation discrepancy's `entryIds` name them). */
  getJournalEntry({ id }: GetJournalEntryRequest): Promise<JournalEntry> {
    return this.json('GET', `/admin/ledger/entries/${encodeURIComponent(String(id))}`, undefined, 200);
  }
}

function accountPath(login: number): string {
  return `/admin/accounts/${login}`;
}
