import { Router, type Request, type Response } from 'express';
import { ACCOUNT_SORTS, type AccountSort } from '../../../core/accounts/account-store';
import { LEDGER_OPERATIONS } from '../../../core/ledger/ledger-service';
import { DEFAULT_PERIOD_DAYS, readMoment } from '../../../core/reconciliation/period';
import { pathId, pathLogin } from '../../http/params';
import { presentAccount } from '../../presenters/accounts';
import { presentEntry, presentEntryOfAccount } from '../../presenters/ledger';
import { presentBalanceAt } from '../../presenters/reconciliation';
import { accountPage } from '../views/account-page';
import { accountsPage, type AccountListForm } from '../views/accounts-page';
import { entryPage } from '../views/entry-page';
import { allow } from './guards';
import { dayOf, pageOf, queryText, sendPage, type ConsoleDeps } from './kit';
import { ledgerFilter, ledgerFilterForm } from './ledger-filter';

/** Ledger entries per console page. */
export const CONSOLE_LEDGER_PAGE_SIZE = 25;
/** Accounts per page of the accounts list. */
export const CONSOLE_ACCOUNT_PAGE_SIZE = 25;
const DAY_MS = 86_400_000;

/** Accounts: the list, one account with its ledger and its balance at a moment, one journal entry. */
export function accountRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/accounts', allow('read'), (req, res) => listAccounts(deps, req, res));
  router.get('/accounts/:login', allow('read'), (req, res) => showAccount(deps, req, res));
  router.get('/entries/:id', allow('read'), async (req, res) => {
    const entry = await deps.core.ledger.entry(pathId(req.params.id, 'entry id'));
    sendPage(res, 200, entryPage(pageOf(res), presentEntryOfAccount(entry)));
  });
  return router;
}

async function listAccounts(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const status = queryText(req, 'status');
  const sort = queryText(req, 'sort') || 'login';
  const form: AccountListForm = {
    search: queryText(req, 'search').trim(),
    status: status === 'active' || status === 'disabled' ? status : '',
    sort: (ACCOUNT_SORTS as readonly string[]).includes(sort) ? (sort as AccountSort) : 'login',
  };
  const cursor = queryText(req, 'cursor');
  const page = await deps.core.accounts.list({
    search: form.search,
    status: form.status || undefined,
    sort: form.sort,
    cursor: cursor || null,
    limit: CONSOLE_ACCOUNT_PAGE_SIZE,
  });
  const accounts = page.items.map(presentAccount);
  const model = {
    form,
    accounts,
    nextCursor: page.nextCursor,
    firstPage: cursor === '',
    pageSize: CONSOLE_ACCOUNT_PAGE_SIZE,
  };
  sendPage(res, 200, accountsPage(pageOf(res), model));
}

async function showAccount(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const login = pathLogin(req.params.login);
  const cursor = queryText(req, 'cursor');
  const account = await deps.core.accounts.get(login);
  const filter = ledgerFilterForm(req);
  const at = queryText(req, 'at');
  const [page, balanceAt] = await Promise.all([
    deps.core.ledger.history(login, cursor === '' ? null : cursor, CONSOLE_LEDGER_PAGE_SIZE, ledgerFilter(filter)),
    at === '' ? undefined : deps.core.reconciliation.balanceAt(login, readMoment(at)),
  ]);
  const today = new Date();
  const statementFrom = new Date(today.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS);
  sendPage(
    res,
    200,
    accountPage(pageOf(res), {
      account: presentAccount(account),
      entries: page.items.map(presentEntry),
      nextCursor: page.nextCursor,
      firstPage: cursor === '',
      pageSize: CONSOLE_LEDGER_PAGE_SIZE,
      filter,
      operations: LEDGER_OPERATIONS,
      statement: { from: dayOf(statementFrom), to: dayOf(today) },
      // a datetime-local input's value: the moment asked, or now (UTC, to the second)
      balanceAt: {
        at: at || today.toISOString().slice(0, 19),
        ...(balanceAt ? { answer: presentBalanceAt(balanceAt) } : {}),
      },
    }),
  );
}
