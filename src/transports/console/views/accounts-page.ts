import type { AccountSort } from '../../../core/accounts/account-store';
import type { PresentedAccount } from '../../presenters/accounts';
import { money, options, readableTime, statusBadge } from './fragments';
import { html, q, type SafeHtml } from './html';
import { layout, message, type PageContext } from './layout';

/** The search of the accounts list, as the form and its page links carry it. */
export interface AccountListForm {
  search: string;
  status: '' | 'active' | 'disabled';
  sort: AccountSort;
}

/** One page of the accounts list. */
export interface AccountsPageModel {
  form: AccountListForm;
  accounts: PresentedAccount[];
  /** The next page's cursor; null on the last. */
  nextCursor: string | null;
  firstPage: boolean;
  pageSize: number;
  error?: string;
}

const SORT_LABELS: Record<AccountSort, string> = {
  login: 'Login, ascending',
  '-login': 'Login, descending',
  name: 'Name, A to Z',
  '-name': 'Name, Z to A',
  balance: 'Balance, lowest first',
  '-balance': 'Balance, highest first',
  created: 'Opened, oldest first',
  '-created': 'Opened, newest first',
};

const STATUS_CHOICES = [
  ['', 'Any'],
  ['active', 'Active'],
  ['disabled', 'Disabled'],
] as const;

function accountRow(account: PresentedAccount): SafeHtml {
  const login = String(account.login);
  return html`<tr data-login="${login}">
      <td class="num"><a href="/console/accounts/${q(login)}">${login}</a></td>
      <td class="wrap">${account.name ?? '—'}</td>
      <td>${statusBadge(account.status)}</td>
      <td class="num">${money(account.balance, account.currency)}</td>
      <td class="num">${money(account.credit, account.currency)}</td>
      <td class="num">${money(account.held, account.currency)}</td>
      <td class="nowrap">${readableTime(account.createdAt)}</td>
    </tr>`;
}

function searchForm(form: AccountListForm): SafeHtml {
  const search = html`<input type="search" name="search" id="search" maxlength="100" value="${form.search}" autofocus>`;
  return html`<section class="card">
      <form class="inline" method="get" action="/console/accounts" id="account-search">
        <label>Login or name ${search}</label>
        <label>Status <select name="status" id="status">${options(STATUS_CHOICES, form.status)}</select></label>
        <label>Sort by <select name="sort" id="sort">${options(Object.entries(SORT_LABELS), form.sort)}</select></label>
        <button type="submit" class="primary" id="search-accounts">Search</button>
      </form>
      <p class="muted">Digits find logins that start with them and names that contain them; \
other text finds names that contain it, in any case.</p>
    </section>`;
}

function pager(model: AccountsPageModel): SafeHtml {
  const { form } = model;
  const query = (cursor?: string) =>
    new URLSearchParams({
      search: form.search,
      status: form.status,
      sort: form.sort,
      ...(cursor ? { cursor } : {}),
    }).toString();
  const next = model.nextCursor
    ? html`<a href="/console/accounts?${query(model.nextCursor)}" id="next-page">Next ${model.pageSize} »</a>`
    : html`<span class="muted">No more accounts</span>`;
  return html`<div class="pager">
      ${model.firstPage ? html`` : html`<a href="/console/accounts?${query()}" id="first-page">« First page</a>`}
      ${next}
    </div>`;
}

/** Accounts: searched by login or name, filtered by status, sorted, a page at a time. */
export function accountsPage(page: PageContext, model: AccountsPageModel): string {
  const rows = model.accounts.map(accountRow);
  const body = html`<h1>Accounts</h1>
    ${message('error', model.error)}
    ${searchForm(model.form)}
    <table id="accounts">
      <thead><tr><th class="num">Login</th><th>Name</th><th>Status</th><th class="num">Balance</th>\
<th class="num">Credit</th><th class="num">Held</th><th>Opened (UTC)</th></tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">No account matches.</td></tr>`}</tbody>
    </table>
    ${pager(model)}`;
  return layout({ title: 'Accounts', page, active: 'accounts', body });
}
