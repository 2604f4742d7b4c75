import type { PresentedAccount } from '../presenters/accounts';
import type { PresentedEntry, PresentedEntryOfAccount } from '../presenters/ledger';
import type { PresentedBalanceAt, PresentedRun } from '../presenters/reconciliation';
import { formatMinorUnits } from '../../core/money/amount';
import { findCurrency, requireCurrency } from '../../core/money/currency';
import type { Discrepancy, Listing, ReconciliationReport } from '../../core/reconciliation/reconciliation-service';
import type { MatchReport } from '../../core/reconciliation/match-service';
import type { CurrencyDashboard, Dashboard, DashboardDay } from '../../core/dashboard/dashboard-service';
import type { AccountSort } from '../../core/accounts/account-store';
import { CONSOLE_ROLES, roleAllows, type ConsoleRole } from '../../core/access/console-roles';

/**
 * The console's HTML, server-rendered. Every value goes through `html`, which escapes whatever it
 * interpolates unless it is already `SafeHtml` (built by `html` itself): escaping is the default,
 * never something to remember.
 */

export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Interpolated = SafeHtml | string | number | bigint | boolean | null | undefined | readonly Interpolated[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for HTML element content and for quoted attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (character) => ESCAPES[character]!);
}

function render(value: Interpolated): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are trusted markup, every interpolation is escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]!;
  });
  return new SafeHtml(out);
}

/** A path segment or query value inside a URL (then escaped again as an attribute by `html`). */
const q = encodeURIComponent;

export type NavItem = 'dashboard' | 'accounts' | 'reconciliation' | 'match' | 'runs' | 'users' | 'audit';

/** Who is signed in, as a page shows it: their name and role, their links, their CSRF token. */
export interface ViewSession {
  username: string;
  role: ConsoleRole;
  csrfToken: string;
}

/** What every page needs: the CSP nonce of its inline script and style, and the session (none on the login page). */
export interface PageContext {
  nonce: string;
  session?: ViewSession;
}

interface LayoutOptions {
  title: string;
  page: PageContext;
  active?: NavItem;
  body: SafeHtml;
  /** Scripts the console serves itself (under /console/assets), loaded before the page's own. */
  libraries?: string[];
  script?: string;
}

const STYLE = `
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --accent:#0b6bcb; --ok:#1f7a3f; --bad:#b42318; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#102a43; color:#fff; }
header .bar { max-width:1200px; margin:0 auto; display:flex; align-items:center; gap:24px; padding:10px 20px; }
header .brand { font-weight:600; letter-spacing:.02em; }
nav { display:flex; gap:4px; align-items:center; flex:1; }
nav a, nav button { color:#d9e2ec; text-decoration:none; padding:6px 10px; border-radius:4px; font:inherit; background:none; border:0; cursor:pointer; }
nav a:hover, nav button:hover { background:#243b53; color:#fff; }
nav a.active { background:#334e68; color:#fff; }
nav form { margin:0 0 0 auto; }
main { max-width:1200px; margin:0 auto; padding:20px; }
h1 { font-size:22px; margin:0 0 16px; }
h2 { font-size:17px; margin:24px 0 8px; }
section.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:16px; margin-bottom:16px; }
section.card > :first-child { margin-top:0; }
section.card > :last-child { margin-bottom:0; }
table { border-collapse:collapse; width:100%; background:#fff; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f0f4f8; font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
/* an amount never breaks inside its number; it may wrap before its currency when a table is tight */
.n { white-space:nowrap; }
.ccy { color:var(--muted); font-size:11px; }
td.wrap { overflow-wrap:anywhere; }
/* free text (references, comments) wraps at a reading width instead of taking the amounts' room */
.text { max-width:30ch; }
.bucket .value .muted { font-size:12px; font-weight:400; }
tfoot td { font-weight:600; border-top:2px solid var(--line); }
.scroll { overflow-x:auto; }
form.inline { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; }
label { display:flex; flex-direction:column; gap:4px; font-size:12px; color:var(--muted); }
label.check { flex-direction:row; align-items:center; gap:6px; font-size:14px; color:var(--ink); }
input, select { font:inherit; padding:6px 8px; border:1px solid #bcccdc; border-radius:4px; background:#fff; min-width:0; }
input[type=file] { padding:4px; }
button.primary { font:inherit; padding:7px 14px; border:0; border-radius:4px; background:var(--accent); color:#fff; cursor:pointer; }
button.primary:hover { background:#0956a4; }
.buckets { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; }
.charts { display:grid; grid-template-columns:1fr 1fr; gap:16px; margin:16px 0; }
.chart { position:relative; height:240px; min-width:0; }
.switch { display:flex; gap:4px; margin-bottom:12px; }
.switch a { padding:5px 12px; border:1px solid #bcccdc; border-radius:4px; text-decoration:none; background:#fff; }
.switch a.active { background:var(--accent); color:#fff; border-color:var(--accent); }
.actions { display:flex; flex-wrap:wrap; gap:12px; align-items:center; margin:8px 0; }
a.button { display:inline-block; padding:6px 12px; border:1px solid var(--accent); border-radius:4px; text-decoration:none; }
.bucket { background:#f0f4f8; border-radius:6px; padding:10px 12px; }
.bucket .name { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.bucket .value { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; overflow-wrap:anywhere; }
.message { padding:10px 12px; border-radius:4px; margin-bottom:16px; }
.message.error { background:#fde8e8; color:var(--bad); border:1px solid #f5c2c0; }
.message.info { background:#e6f0fb; color:#0b4a8b; border:1px solid #b6d4f2; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
.badge.ok { background:#e3f5e8; color:var(--ok); }
.badge.bad { background:#fde8e8; color:var(--bad); }
.badge.warn { background:#fff4d6; color:var(--warn); }
.muted { color:var(--muted); }
.pager { display:flex; gap:12px; margin-top:10px; }
.pager a { color:var(--accent); }
a { color:var(--accent); }
td.nowrap { white-space:nowrap; }
code { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
.login { max-width:380px; margin:80px auto; }
.login form { display:flex; flex-direction:column; gap:12px; }
nav .who { color:#c8d3df; font-size:13px; margin-left:auto; }
`;

export function layout(options: LayoutOptions): string {
  const { nonce, session } = options.page;
  const link = (item: NavItem, href: string, label: string) => html`<a href="${href}" class="${options.active === item ? 'active' : ''}">${label}</a>`;
  const nav = session
    ? html`<nav>
        ${link('dashboard', '/console/dashboard', 'Dashboard')}
        ${link('accounts', '/console/accounts', 'Accounts')}
        ${roleAllows(session.role, 'reconcile') ? link('reconciliation', '/console/reconciliation', 'Reconciliation') : ''}
        ${roleAllows(session.role, 'reconcile') ? link('match', '/console/match', 'Match') : ''}
        ${roleAllows(session.role, 'reconcile') ? link('runs', '/console/runs', 'History') : ''}
        ${roleAllows(session.role, 'audit') ? link('audit', '/console/audit', 'Audit log') : ''}
        ${roleAllows(session.role, 'manage-users') ? link('users', '/console/users', 'Users') : ''}
        <span class="who" id="who">${session.username} · ${session.role}</span>
        <form method="post" action="/console/logout">${csrfField(session)}<button type="submit" id="logout">Log out</button></form>
      </nav>`
    : html``;
  const libraries = (options.libraries ?? []).map((src) => html`<script nonce="${nonce}" src="${src}"></script>`);
  const script = options.script === undefined ? html`` : html`<script nonce="${nonce}">${new SafeHtml(options.script)}</script>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${options.title} · Wallet console</title>
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : ''}
<style nonce="${nonce}">${new SafeHtml(STYLE)}</style>
</head>
<body>
<header><div class="bar"><span class="brand">Wallet console</span>${nav}</div></header>
<main>
${options.body}
</main>
${libraries}
${script}
</body>
</html>
`.text;
}

/** The hidden field every form that POSTs carries: the session's CSRF token. */
function csrfField(session: ViewSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
}

/** An amount in currency units with its currency: `12.50 USD` (it may wrap before the code, never inside the number). */
export function money(amount: string, currency: string): SafeHtml {
  return html`<span class="n">${amount}</span> <span class="ccy">${currency}</span>`;
}

/** Minor units as text (a report's field) in the currency's units; text that is no amount (`>= 0`, `missing`) as it is. */
function minorMoney(minor: string | null | undefined, currency: string | null | undefined): SafeHtml | string {
  if (minor === null || minor === undefined) return '—';
  const known = currency ? findCurrency(currency) : undefined;
  if (!known || !/^-?\d{1,20}$/.test(minor)) return minor;
  return money(formatMinorUnits(BigInt(minor), known.scale), known.code);
}

function message(kind: 'error' | 'info', text: string | undefined): SafeHtml {
  return text ? html`<div class="message ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>` : html``;
}

export function loginPage(page: PageContext, options: { error?: string; username?: string } = {}): string {
  const body = html`<section class="card login">
    <h1>Sign in</h1>
    ${message('error', options.error)}
    <form method="post" action="/console/login" autocomplete="off">
      <label>Username <input type="text" name="username" id="username" required autofocus autocomplete="username" maxlength="64" value="${options.username ?? ''}"></label>
      <label>Password <input type="password" name="password" id="password" required autocomplete="current-password" maxlength="256"></label>
      <button type="submit" class="primary" id="sign-in">Sign in</button>
    </form>
  </section>`;
  return layout({ title: 'Sign in', page, body });
}

/** The search of the accounts list, as the form and its page links carry it. */
export interface AccountListForm {
  search: string;
  status: '' | 'active' | 'disabled';
  sort: AccountSort;
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

/** `<option>`s of a select, the current one selected. */
function options(values: ReadonlyArray<readonly [string, string]>, current: string): SafeHtml[] {
  return values.map(([value, label]) => html`<option value="${value}" ${value === current ? new SafeHtml('selected') : ''}>${label}</option>`);
}

export interface AccountsPageModel {
  form: AccountListForm;
  accounts: PresentedAccount[];
  /** The next page's cursor; null on the last. */
  nextCursor: string | null;
  firstPage: boolean;
  pageSize: number;
  error?: string;
}

/** Accounts: searched by login or name, filtered by status, sorted, a page at a time. */
export function accountsPage(page: PageContext, model: AccountsPageModel): string {
  const { form } = model;
  const query = (cursor?: string) => new URLSearchParams({ search: form.search, status: form.status, sort: form.sort, ...(cursor ? { cursor } : {}) }).toString();
  const rows = model.accounts.map(
    (account) => html`<tr data-login="${String(account.login)}">
      <td class="num"><a href="/console/accounts/${q(String(account.login))}">${String(account.login)}</a></td>
      <td class="wrap">${account.name ?? '—'}</td>
      <td><span class="badge ${account.status === 'active' ? 'ok' : 'bad'}">${account.status}</span></td>
      <td class="num">${money(account.balance, account.currency)}</td>
      <td class="num">${money(account.credit, account.currency)}</td>
      <td class="num">${money(account.held, account.currency)}</td>
      <td class="nowrap">${readableTime(account.createdAt)}</td>
    </tr>`,
  );
  const body = html`<h1>Accounts</h1>
    ${message('error', model.error)}
    <section class="card">
      <form class="inline" method="get" action="/console/accounts" id="account-search">
        <label>Login or name <input type="search" name="search" id="search" maxlength="100" value="${form.search}" autofocus></label>
        <label>Status <select name="status" id="status">${options([['', 'Any'], ['active', 'Active'], ['disabled', 'Disabled']], form.status)}</select></label>
        <label>Sort by <select name="sort" id="sort">${options(Object.entries(SORT_LABELS), form.sort)}</select></label>
        <button type="submit" class="primary" id="search-accounts">Search</button>
      </form>
      <p class="muted">Digits find logins that start with them and names that contain them; other text finds names that contain it, in any case.</p>
    </section>
    <table id="accounts">
      <thead><tr><th class="num">Login</th><th>Name</th><th>Status</th><th class="num">Balance</th><th class="num">Credit</th><th class="num">Held</th><th>Opened (UTC)</th></tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">No account matches.</td></tr>`}</tbody>
    </table>
    <div class="pager">
      ${model.firstPage ? html`` : html`<a href="/console/accounts?${query()}" id="first-page">« First page</a>`}
      ${model.nextCursor ? html`<a href="/console/accounts?${query(model.nextCursor)}" id="next-page">Next ${model.pageSize} »</a>` : html`<span class="muted">No more accounts</span>`}
    </div>`;
  return layout({ title: 'Accounts', page, active: 'accounts', body });
}


/** The ledger filter of the account page, as its form and links carry it. */
export interface LedgerFilterForm {
  operation: string;
  from: string;
  to: string;
  reference: string;
}

export interface AccountPageModel {
  account: PresentedAccount;
  entries: PresentedEntry[];
  nextCursor: string | null;
  firstPage: boolean;
  pageSize: number;
  filter: LedgerFilterForm;
  /** Every operation the filter offers. */
  operations: readonly string[];
  statement: { from: string; to: string };
  /** The point-in-time form's value (`YYYY-MM-DDTHH:MM`, UTC) and, once asked, its answer. */
  balanceAt: { at: string; answer?: PresentedBalanceAt };
  error?: string;
}

export function accountPage(page: PageContext, model: AccountPageModel): string {
  const { account, filter } = model;
  const login = String(account.login);
  const canDownload = page.session !== undefined && roleAllows(page.session.role, 'download');
  const bucket = (name: string, value: string) =>
    html`<div class="bucket" data-bucket="${name}"><div class="name">${name}</div><div class="value">${value}</div></div>`;
  const filterQuery = (extra: Record<string, string> = {}) =>
    new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== '')), ...extra }).toString();
  const rows = model.entries.map(
    (entry) => html`<tr>
      <td class="num"><a href="/console/entries/${q(String(entry.id))}">${String(entry.version)}</a></td>
      <td>${readableTime(entry.createdAt)}</td>
      <td>${entry.operation}</td>
      <td class="num">${money(entry.balanceChange, entry.currency)}</td>
      <td class="num">${money(entry.creditChange, entry.currency)}</td>
      <td class="num">${money(entry.heldChange, entry.currency)}</td>
      <td class="num">${money(entry.balanceAfter, entry.currency)}</td>
      <td class="num">${money(entry.creditAfter, entry.currency)}</td>
      <td class="num">${money(entry.heldAfter, entry.currency)}</td>
      <td class="wrap"><div class="text">${entry.actorKind}: ${entry.actor}</div></td>
      <td class="wrap"><div class="text">${entry.referenceId ?? ''}</div></td>
      <td class="wrap"><div class="text">${entry.comment ?? ''}</div></td>
    </tr>`,
  );
  const here = `/console/accounts/${q(login)}`;
  const pager = html`<div class="pager">
      ${model.firstPage ? html`` : html`<a href="${here}?${filterQuery()}" id="newest">« Newest</a>`}
      ${model.nextCursor ? html`<a href="${here}?${filterQuery({ cursor: model.nextCursor })}" id="older">Older »</a>` : html`<span class="muted">No older entries</span>`}
    </div>`;
  const at = model.balanceAt.answer;
  const body = html`<h1>Account ${login} <span class="badge ${account.status === 'active' ? 'ok' : 'bad'}">${account.status}</span></h1>
    ${message('error', model.error)}
    <section class="card">
      <dl class="facts">
        <dt>Name</dt><dd id="account-name">${account.name ?? '—'}</dd>
        <dt>Currency</dt><dd>${account.currency}</dd>
        <dt>Version</dt><dd>${String(account.version)}</dd>
        <dt>Opened (UTC)</dt><dd>${readableTime(account.createdAt)}</dd>
        <dt>Updated (UTC)</dt><dd>${readableTime(account.updatedAt)}</dd>
      </dl>
    </section>
    <section class="card">
      <div class="buckets">
        ${bucket('balance', account.balance)}${bucket('credit', account.credit)}${bucket('held', account.held)}
        ${bucket('available', account.available)}${bucket('withdrawable', account.withdrawable)}
      </div>
      <p class="muted">Amounts in ${account.currency}.</p>
    </section>
    <section class="card" id="balance-at">
      <h2>Balance at a moment</h2>
      <form class="inline" method="get" action="${here}" id="balance-at-form">
        <label>Moment (UTC) <input type="datetime-local" name="at" id="at" step="1" value="${model.balanceAt.at}" required></label>
        <button type="submit" class="primary" id="read-balance-at">Show the balance then</button>
      </form>
      ${
        at
          ? html`<div class="buckets" id="balance-at-answer">
                <div class="bucket" data-at-bucket="balance"><div class="name">balance</div><div class="value">${money(at.balance, at.currency)}</div></div>
                <div class="bucket" data-at-bucket="credit"><div class="name">credit</div><div class="value">${money(at.credit, at.currency)}</div></div>
                <div class="bucket" data-at-bucket="held"><div class="name">held</div><div class="value">${money(at.held, at.currency)}</div></div>
                <div class="bucket" data-at-bucket="available"><div class="name">available</div><div class="value">${money(at.available, at.currency)}</div></div>
              </div>
              <p class="muted" id="balance-at-source">At ${readableTime(at.at)} UTC: ${
                at.entry
                  ? html`as left by entry <a href="/console/entries/${q(String(at.entry.id))}">${String(at.entry.id)}</a> (version ${String(at.entry.version)}, ${readableTime(at.entry.createdAt)})`
                  : 'before the account\'s first entry.'
              }</p>`
          : html``
      }
    </section>
    ${
      canDownload
        ? html`<section class="card">
            <h2>Statement</h2>
            <form class="inline" method="get" action="${here}/statement" id="statement-form">
              <label>From (UTC day) <input type="date" name="from" value="${model.statement.from}"></label>
              <label>To (UTC day, included) <input type="date" name="to" value="${model.statement.to}"></label>
              <label>Format <select name="format"><option value="csv">CSV</option><option value="json">JSON</option></select></label>
              <button type="submit" class="primary" id="download-statement">Download</button>
            </form>
          </section>`
        : html``
    }
    <h2>Ledger <span class="muted">(newest first, ${model.pageSize} per page)</span></h2>
    <section class="card">
      <form class="inline" method="get" action="${here}" id="ledger-filter">
        <label>Operation <select name="operation" id="filter-operation">${options([['', 'Any'], ...model.operations.map((name) => [name, name] as const)], filter.operation)}</select></label>
        <label>From (UTC day) <input type="date" name="from" id="filter-from" value="${filter.from}"></label>
        <label>To (UTC day, included) <input type="date" name="to" id="filter-to" value="${filter.to}"></label>
        <label>Reference <input type="text" name="reference" id="filter-reference" maxlength="128" value="${filter.reference}"></label>
        <button type="submit" class="primary" id="filter-ledger">Filter</button>
        <a href="${here}">Clear</a>
      </form>
      ${canDownload ? html`<div class="actions"><a class="button" href="${here}/ledger.csv?${filterQuery()}" id="export-ledger">Export these entries (CSV)</a></div>` : html``}
    </section>
    <table id="ledger">
      <thead><tr>
        <th class="num">Version</th><th>Time (UTC)</th><th>Operation</th>
        <th class="num">Balance Δ</th><th class="num">Credit Δ</th><th class="num">Held Δ</th>
        <th class="num">Balance</th><th class="num">Credit</th><th class="num">Held</th>
        <th>Actor</th><th>Reference</th><th>Comment</th>
      </tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="12" class="muted">No entries.</td></tr>`}</tbody>
    </table>
    ${pager}`;
  return layout({ title: `Account ${login}`, page, active: 'accounts', body });
}

/** One journal entry and its postings (where a discrepancy's entry ids and a ledger line lead). */
export function entryPage(page: PageContext, entry: PresentedEntryOfAccount): string {
  const login = String(entry.login);
  const postings = entry.postings.map((posting) => html`<tr><td>${posting.book}</td><td class="num">${money(posting.amount, entry.currency)}</td></tr>`);
  const body = html`<h1>Journal entry ${String(entry.id)}</h1>
    <section class="card">
      <dl class="facts" id="entry">
        <dt>Account</dt><dd><a href="/console/accounts/${q(login)}">${login}</a> (version ${String(entry.version)})</dd>
        <dt>Booked (UTC)</dt><dd>${readableTime(entry.createdAt)}</dd>
        <dt>Operation</dt><dd>${entry.operation}</dd>
        <dt>Order</dt><dd>${String(entry.order)}</dd>
        <dt>Balance change</dt><dd>${money(entry.balanceChange, entry.currency)}, after: ${money(entry.balanceAfter, entry.currency)}</dd>
        <dt>Credit change</dt><dd>${money(entry.creditChange, entry.currency)}, after: ${money(entry.creditAfter, entry.currency)}</dd>
        <dt>Held change</dt><dd>${money(entry.heldChange, entry.currency)}, after: ${money(entry.heldAfter, entry.currency)}</dd>
        <dt>Actor</dt><dd>${entry.actorKind}: ${entry.actor}</dd>
        <dt>Reference</dt><dd>${entry.referenceId ?? '—'}</dd>
        <dt>Comment</dt><dd>${entry.comment ?? '—'}</dd>
      </dl>
    </section>
    <h2>Postings <span class="muted">(they sum to zero)</span></h2>
    <table id="postings"><thead><tr><th>Book</th><th class="num">Amount</th></tr></thead><tbody>${postings}</tbody></table>`;
  return layout({ title: `Entry ${String(entry.id)}`, page, active: 'accounts', body });
}

export interface ReconciliationForm {
  from: string;
  to: string;
  staleHoldAgeH: string;
}

/** The currency of each login a report names (a discrepancy's amounts are in its account's minor units). */
export type LoginCurrencies = ReadonlyMap<string, string>;

export function reconciliationPage(page: PageContext, form: ReconciliationForm, report?: { report: ReconciliationReport; currencies: LoginCurrencies }, error?: string): string {
  const body = html`<h1>Reconciliation</h1>
    ${message('error', error)}
    <section class="card">
      <form class="inline" method="get" action="/console/reconciliation">
        <label>From (UTC day, optional) <input type="date" name="from" value="${form.from}"></label>
        <label>To (UTC day, included, optional) <input type="date" name="to" value="${form.to}"></label>
        <label>Stale hold age (hours) <input type="number" name="staleHoldAgeH" min="0" step="1" value="${form.staleHoldAgeH}"></label>
        <input type="hidden" name="run" value="1">
        <button type="submit" class="primary" id="run-reconciliation">Run reconciliation</button>
      </form>
      <p class="muted">The invariant checks always cover the whole ledger; the period limits the orphan closes, refused duplicates and sync timeouts. Every run is kept in the <a href="/console/runs">history</a>.</p>
    </section>
    ${report ? reportView(report.report, report.currencies) : html``}`;
  return layout({ title: 'Reconciliation', page, active: 'reconciliation', body });
}

/** A discrepancy's currency: its account's, or its subject when that is a currency (a currency's postings). */
function discrepancyCurrency(item: Discrepancy, currencies: LoginCurrencies): string | undefined {
  if (item.login !== null) return currencies.get(item.login);
  return item.subject !== null && findCurrency(item.subject) ? item.subject : undefined;
}

function reportView(report: ReconciliationReport, currencies: LoginCurrencies): SafeHtml {
  const checks = report.checks.map(
    (check) => html`<tr>
      <td><code>${check.check}</code></td>
      <td>${check.description}</td>
      <td class="num">${check.discrepancies}</td>
      <td>${check.discrepancies === 0 ? html`<span class="badge ok">OK</span>` : html`<span class="badge bad">FAILED</span>`}</td>
    </tr>`,
  );
  const discrepancies = report.discrepancies.items.map((item) => {
    const currency = discrepancyCurrency(item, currencies);
    return html`<tr>
      <td><code>${item.check}</code></td>
      <td>${item.login ? html`<a href="/console/accounts/${q(item.login)}">${item.login}</a>` : '—'}</td>
      <td class="wrap">${item.subject ?? '—'}</td>
      <td class="num">${minorMoney(item.expected, currency)}</td>
      <td class="num">${minorMoney(item.found, currency)}</td>
      <td class="wrap">${item.entryIds.map((id, index) => html`${index ? ', ' : ''}<a href="/console/entries/${q(id)}" class="entry-link">${id}</a>`)}</td>
    </tr>`;
  });
  const exceptions = report.exceptions;
  return html`<section class="card" id="report">
      <h2>Result: ${report.clean ? html`<span class="badge ok" id="verdict">CLEAN</span>` : html`<span class="badge bad" id="verdict">DISCREPANCIES FOUND</span>`}</h2>
      <dl class="facts">
        <dt>Run</dt><dd><a href="/console/runs/${q(report.runId)}" id="run-link">${report.runId}</a></dd>
        <dt>Checked at (UTC)</dt><dd>${readableTime(report.checkedAt)}</dd>
        <dt>Read from</dt><dd>${report.replicaLagS === null ? 'the primary' : `a replica, ${Math.round(report.replicaLagS * 10) / 10} s behind the primary`}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(report.period.from)} – ${readableTime(report.period.to)}</dd>
        <dt>Stale hold age</dt><dd>${report.staleHoldAgeS / 3600} h</dd>
      </dl>
    </section>
    <h2>Checks</h2>
    <table id="checks">
      <thead><tr><th>Check</th><th>Description</th><th class="num">Discrepancies</th><th>Status</th></tr></thead>
      <tbody>${checks}</tbody>
    </table>
    <h2>Discrepancies ${countBadge(report.discrepancies, 'bad')}</h2>
    ${truncationNote(report.discrepancies)}
    ${
      discrepancies.length
        ? html`<table id="discrepancies">
            <thead><tr><th>Check</th><th>Login</th><th>Subject</th><th class="num">Expected</th><th class="num">Found</th><th>Entries</th></tr></thead>
            <tbody>${discrepancies}</tbody>
          </table>`
        : html`<p class="muted">None.</p>`
    }
    <h2>Exceptions for review</h2>
    ${exceptionTable('Orphan closes', 'orphan-closes', exceptions.orphanCloses)}
    ${exceptionTable('Stale holds', 'stale-holds', exceptions.staleHolds)}
    ${exceptionTable('Refused duplicates', 'refused-duplicates', exceptions.refusedDuplicates)}
    ${exceptionTable('Sync timeouts', 'sync-timeouts', exceptions.syncTimeouts)}`;
}

function countBadge(listing: Listing<unknown>, kind: 'bad' | 'warn'): SafeHtml {
  return html`<span class="badge ${listing.count === 0 ? 'ok' : kind}">${listing.count}</span>`;
}

function truncationNote(listing: Listing<unknown>): SafeHtml {
  return listing.truncated ? html`<p class="muted">Showing the first ${listing.items.length} of ${listing.count}.</p>` : html``;
}

/**
 * One exception category with its rows' own columns; a `*_minor` column is shown in the row's
 * currency units (headed without the suffix), and times are made readable.
 */
function exceptionTable(title: string, id: string, listing: Listing<Record<string, unknown>>): SafeHtml {
  const columns = [...new Set(listing.items.flatMap((item) => Object.keys(item)))];
  const heading = (column: string) => column.replace(/_minor$/, '').replace(/_/g, ' ');
  const rows = listing.items.map(
    (item) => html`<tr>
      ${columns.map((column) => {
        const value = item[column];
        if (column.endsWith('_minor')) return html`<td class="num">${minorMoney(value === null || value === undefined ? null : String(value), typeof item.currency === 'string' ? item.currency : null)}</td>`;
        if (column === 'login' && typeof value === 'string') return html`<td><a href="/console/accounts/${q(value)}">${value}</a></td>`;
        return html`<td class="wrap">${cell(value)}</td>`;
      })}
    </tr>`,
  );
  return html`<section class="card" id="${id}">
      <h2>${title} ${countBadge(listing, 'warn')}</h2>
      ${truncationNote(listing)}
      ${
        rows.length
          ? html`<table>
              <thead><tr>${columns.map((column) => (column.endsWith('_minor') ? html`<th class="num">${heading(column)}</th>` : html`<th>${heading(column)}</th>`))}</tr></thead>
              <tbody>${rows}</tbody>
            </table>`
          : html`<p class="muted">None.</p>`
      }
    </section>`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (value instanceof Date) return readableTime(value.toISOString());
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(value)) return readableTime(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function matchPage(page: PageContext, uploadBytesMax: number): string {
  const body = html`<h1>Match external records</h1>
    <section class="card">
      <p class="muted">Upload a CSV from a payment provider or the trading platform. Its rows are matched against the ledger by reference and amount. A dry run (the default) changes nothing; every run, dry or not, is kept in the <a href="/console/runs">history</a>, where its result opens.</p>
      <form class="inline" id="match-form" data-max-bytes="${uploadBytesMax}">
        <label>CSV file <input type="file" name="file" id="match-file" accept=".csv,text/csv" required></label>
        <label>Ledger side <select name="side"><option value="finance-records">Finance records (deposits, withdrawals)</option><option value="trades">Trades</option></select></label>
        <label>Reference column <input type="text" name="referenceColumn" value="reference" maxlength="100" required></label>
        <label>Amount column <input type="text" name="amountColumn" value="amount" maxlength="100" required></label>
        <label>Currency column <input type="text" name="currencyColumn" value="currency" maxlength="100" required></label>
        <label>Date column <input type="text" name="dateColumn" value="date" maxlength="100" required></label>
        <label>Allowed drift (minor units) <input type="number" name="driftMinor" value="0" min="0" step="1"></label>
        <label>From (UTC day, optional) <input type="date" name="from"></label>
        <label>To (UTC day, included, optional) <input type="date" name="to"></label>
        <label>One to many: references separated by <input type="text" name="referenceDelimiter" id="reference-delimiter" maxlength="5" placeholder="e.g. ;"></label>
        <label class="check"><input type="checkbox" name="sumRepeated" id="sum-repeated"> Many to one: add up rows that repeat a reference</label>
        <label class="check"><input type="checkbox" name="dryRun" checked> Dry run</label>
        <button type="submit" class="primary" id="run-match">Match</button>
      </form>
      <p class="muted">One to many: a row whose reference lists several ledger references (<code>dep-1;dep-2</code>) matches their sum, as one provider payout for several deposits. Many to one: rows repeating a reference match that one ledger record by their sum. Otherwise a row matches the ledger record of its reference, amount for amount (within the drift).</p>
    </section>
    <div id="match-status" role="status"></div>`;
  return layout({ title: 'Match', page, active: 'match', body, script: MATCH_SCRIPT });
}

/**
 * Posts the chosen file as text/csv with the options in the query; the run is then opened from the
 * history, where its result is rendered on the server like any other run (no markup is built here).
 */
const MATCH_SCRIPT = `
(() => {
  const form = document.getElementById('match-form');
  const status = document.getElementById('match-status');
  const say = (kind, text) => {
    const node = document.createElement('div');
    node.className = 'message ' + kind;
    node.textContent = text;
    status.replaceChildren(node);
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) { say('error', 'Choose a CSV file.'); return; }
    if (file.size > Number(form.dataset.maxBytes)) { say('error', 'The file is larger than ' + form.dataset.maxBytes + ' bytes.'); return; }
    const params = new URLSearchParams();
    ['side', 'referenceColumn', 'amountColumn', 'currencyColumn', 'dateColumn', 'driftMinor', 'from', 'to', 'referenceDelimiter'].forEach((name) => {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    });
    params.set('sumRepeated', form.elements.sumRepeated.checked ? 'true' : 'false');
    params.set('dryRun', form.elements.dryRun.checked ? 'true' : 'false');
    say('info', 'Matching ' + file.name + '…');
    try {
      const text = await file.text();
      const response = await fetch('/console/match/run?' + params, {
        method: 'POST', body: text, credentials: 'same-origin',
        headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content },
      });
      if (response.redirected || response.status === 401) { window.location.assign('/console/login'); return; }
      const answer = await response.json();
      if (!response.ok) { say('error', answer.message || ('Matching failed (' + response.status + ').')); return; }
      window.location.assign('/console/runs/' + encodeURIComponent(answer.runId));
    } catch (error) {
      say('error', 'Matching failed: ' + error.message);
    }
  });
})();
`;


/** What a run found, in a few words: a reconciliation's verdict, a match's counts. */
function runVerdict(run: PresentedRun): SafeHtml {
  const summary = run.summary as { clean?: boolean; discrepancies?: number; counts?: Record<string, number> };
  if (run.kind === 'reconciliation') {
    return summary.clean ? html`<span class="badge ok">clean</span>` : html`<span class="badge bad">${summary.discrepancies ?? '?'} discrepancies</span>`;
  }
  const counts = Object.entries(summary.counts ?? {}).filter(([, count]) => count > 0);
  return html`${counts.map(([outcome, count], index) => html`${index ? ' · ' : ''}<span class="badge ${outcome === 'matched' ? 'ok' : 'warn'}">${outcome.replace(/_/g, ' ')} ${count}</span>`)}`;
}

export interface RunsPageModel {
  runs: PresentedRun[];
  kind: '' | 'reconciliation' | 'match';
  nextCursor: string | null;
  firstPage: boolean;
}

/** The history of reconciliation and matching runs, newest first: each reopens as it was. */
export function runsPage(page: PageContext, model: RunsPageModel): string {
  const kindQuery = model.kind ? `kind=${q(model.kind)}&` : '';
  const rows = model.runs.map(
    (run) => html`<tr data-run="${run.id}">
      <td class="num"><a href="/console/runs/${q(run.id)}">${run.id}</a></td>
      <td>${readableTime(run.createdAt)}</td>
      <td class="wrap">${run.actor}</td>
      <td>${run.kind}${run.dryRun === null ? '' : run.dryRun ? ' (dry run)' : ' (applied)'}</td>
      <td>${readableTime(run.period.from)} – ${readableTime(run.period.to)}</td>
      <td>${runVerdict(run)}</td>
    </tr>`,
  );
  const body = html`<h1>History of runs</h1>
    <div class="switch">
      ${(
        [
          ['', 'All'],
          ['reconciliation', 'Reconciliations'],
          ['match', 'Matches'],
        ] as const
      ).map(([kind, label]) => html`<a href="/console/runs${kind ? `?kind=${kind}` : ''}" class="${model.kind === kind ? 'active' : ''}">${label}</a>`)}
    </div>
    <table id="runs">
      <thead><tr><th class="num">Run</th><th>When (UTC)</th><th>Who</th><th>Kind</th><th>Period (UTC)</th><th>Verdict</th></tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="6" class="muted">No runs yet.</td></tr>`}</tbody>
    </table>
    <div class="pager">
      ${model.firstPage ? html`` : html`<a href="/console/runs?${kindQuery}" id="newest">« Newest</a>`}
      ${model.nextCursor ? html`<a href="/console/runs?${kindQuery}cursor=${q(model.nextCursor)}" id="older">Older »</a>` : html`<span class="muted">No older runs</span>`}
    </div>`;
  return layout({ title: 'History', page, active: 'runs', body });
}

export interface RunPageModel {
  run: PresentedRun;
  /** The answer as it was given; null for a match applied before the history kept answers. */
  result: Record<string, unknown> | null;
  currencies: LoginCurrencies;
}

/** One run of the history, reopened exactly as it was answered. */
export function runPage(page: PageContext, model: RunPageModel): string {
  const { run, result } = model;
  const canDownload = page.session !== undefined && roleAllows(page.session.role, 'download');
  const facts = html`<section class="card">
      <dl class="facts" id="run-facts">
        <dt>Run</dt><dd>${run.id} · ${run.kind}${run.dryRun === null ? '' : run.dryRun ? ' · dry run' : ' · applied'}</dd>
        <dt>Who</dt><dd id="run-actor">${run.actor}</dd>
        <dt>When (UTC)</dt><dd>${readableTime(run.createdAt)}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(run.period.from)} – ${readableTime(run.period.to)}</dd>
        <dt>Options</dt><dd><code>${JSON.stringify(run.options)}</code></dd>
      </dl>
    </section>`;
  let view: SafeHtml;
  if (result === null) view = html`<p class="muted">This run was applied before the history kept answers: its items are in the CSV.</p>`;
  else if (run.kind === 'reconciliation') view = reportView(result as unknown as ReconciliationReport, model.currencies);
  else view = matchReportView(result as unknown as MatchReport);
  const download =
    run.kind === 'match' && canDownload
      ? html`<div class="actions"><a class="button" href="/console/runs/${q(run.id)}/items.csv" id="download-items">Download every item (CSV)</a></div>`
      : html``;
  const body = html`<h1>Run ${run.id}</h1>${facts}${download}${view}`;
  return layout({ title: `Run ${run.id}`, page, active: 'runs', body });
}

/** A match's answer: counts, totals per currency and outcome, and the exceptions (amounts in currency units). */
function matchReportView(report: MatchReport): SafeHtml {
  const totals = report.totals.map(
    (total) => html`<tr>
      <td>${total.currency}</td>
      <td>${total.outcome.replace(/_/g, ' ')}</td>
      <td class="num">${total.count}</td>
      <td class="num">${money(total.fileAmount, total.currency)}</td>
      <td class="num">${money(total.ledgerAmount, total.currency)}</td>
    </tr>`,
  );
  const amountOf = (amount: string | null, currency: string | null) => (amount === null ? '—' : currency ? money(amount, currency) : amount);
  const exceptions = report.exceptions.items.map(
    (item) => html`<tr>
      <td>${item.outcome.replace(/_/g, ' ')}</td>
      <td>${item.match}</td>
      <td class="wrap">${item.reference}</td>
      <td class="num">${amountOf(item.fileAmount, item.currency)}</td>
      <td class="num">${amountOf(item.ledgerAmount, item.currency)}</td>
      <td>${item.lines.join(', ')}</td>
      <td class="wrap">${(item.parts ?? []).map((part, index) => html`${index ? '; ' : ''}${part.side === 'file' ? `line ${part.line}` : part.reference}: ${part.amount === null ? 'missing' : amountOf(part.amount, part.currency)}`)}</td>
      <td class="wrap">${item.detail ?? ''}</td>
    </tr>`,
  );
  return html`<section class="card" id="match-report">
      <h2>${report.dryRun ? `Dry run ${report.runId} (kept in the history, not applied)` : `Applied as run ${report.runId}`}</h2>
      <dl class="facts">
        <dt>Ledger side</dt><dd>${report.side}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(report.period.from)} – ${readableTime(report.period.to)}</dd>
        <dt>File rows</dt><dd>${report.fileRows}</dd>
        ${Object.entries(report.counts).map(([outcome, count]) => html`<dt>${outcome.replace(/_/g, ' ')}</dt><dd data-count="${outcome}">${count}</dd>`)}
        <dt>Invalid rows</dt><dd>${report.invalidRows.count}</dd>
      </dl>
    </section>
    ${report.invalidRows.items.length ? html`<h2>Invalid rows</h2><ul id="invalid-rows">${report.invalidRows.items.map((line) => html`<li>${line}</li>`)}</ul>` : html``}
    <h2>Totals per currency and outcome</h2>
    <table id="match-totals">
      <thead><tr><th>Currency</th><th>Outcome</th><th class="num">Items</th><th class="num">File</th><th class="num">Ledger</th></tr></thead>
      <tbody>${totals.length ? totals : html`<tr><td colspan="5" class="muted">No items.</td></tr>`}</tbody>
    </table>
    <h2>Exceptions ${countBadge(report.exceptions, 'warn')}</h2>
    ${truncationNote(report.exceptions)}
    ${
      exceptions.length
        ? html`<table id="match-exceptions">
            <thead><tr><th>Outcome</th><th>Match</th><th>Reference</th><th class="num">File</th><th class="num">Ledger</th><th>Lines</th><th>Parts</th><th>Detail</th></tr></thead>
            <tbody>${exceptions}</tbody>
          </table>`
        : html`<p class="muted">None: every record matched.</p>`
    }`;
}

export function errorPage(page: PageContext, status: number, text: string): string {
  const body = html`<h1>${status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot do that'}</h1>
    ${message('error', text)}
    <p><a href="/console/dashboard">Back to the dashboard</a></p>`;
  return layout({ title: 'Error', page, body });
}

export interface UserRowModel {
  username: string;
  role: ConsoleRole;
  disabled: boolean;
  createdAt: string;
  createdBy: string;
}

/** Console users (admins): create one, change a role, disable, end every session. */
export function usersPage(page: PageContext, users: UserRowModel[], notice?: { kind: 'error' | 'info'; text: string }): string {
  const session = page.session!;
  const roleOptions = (current: ConsoleRole) => CONSOLE_ROLES.map((role) => html`<option value="${role}" ${role === current ? new SafeHtml('selected') : ''}>${role}</option>`);
  const rows = users.map(
    (user) => html`<tr data-username="${user.username}">
      <td>${user.username}</td>
      <td>
        <form class="inline" method="post" action="/console/users/${q(user.username)}/role">${csrfField(session)}
          <select name="role" aria-label="role of ${user.username}">${roleOptions(user.role)}</select>
          <button type="submit">Change</button>
        </form>
      </td>
      <td>${user.disabled ? html`<span class="badge bad">disabled</span>` : html`<span class="badge ok">active</span>`}</td>
      <td class="nowrap">${readableTime(user.createdAt)}</td>
      <td>${user.createdBy}</td>
      <td class="nowrap">
        <form class="inline" method="post" action="/console/users/${q(user.username)}/${user.disabled ? 'enable' : 'disable'}">${csrfField(session)}<button type="submit">${user.disabled ? 'Enable' : 'Disable'}</button></form>
        <form class="inline" method="post" action="/console/users/${q(user.username)}/end-sessions">${csrfField(session)}<button type="submit">End sessions</button></form>
      </td>
    </tr>`,
  );
  const body = html`<h1>Users</h1>
    ${notice ? message(notice.kind, notice.text) : ''}
    <section class="card">
      <h2>New user</h2>
      <form class="inline" method="post" action="/console/users" id="new-user" autocomplete="off">${csrfField(session)}
        <label>Username <input type="text" name="username" required maxlength="64"></label>
        <label>Password <input type="password" name="password" required minlength="12" maxlength="256" autocomplete="new-password"></label>
        <label>Role <select name="role">${roleOptions('viewer')}</select></label>
        <button type="submit" class="primary">Create</button>
      </form>
      <p class="muted">viewer: reads accounts and ledgers · finance: also runs reconciliation and matching, downloads, reads the audit log · admin: also manages users.</p>
    </section>
    <table id="users"><thead><tr><th>Username</th><th>Role</th><th>Status</th><th>Created</th><th>By</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
  return layout({ title: 'Users', page, active: 'users', body });
}

export interface AuditRowModel {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

/** Who did what, newest first (finance and admins). */
export function auditPage(page: PageContext, entries: AuditRowModel[], nextBefore: string | null): string {
  const rows = entries.map(
    (entry) => html`<tr>
      <td class="nowrap">${readableTime(entry.at)}</td>
      <td>${entry.actor}</td>
      <td><code>${entry.action}</code></td>
      <td>${entry.target ?? ''}</td>
      <td class="wrap"><code>${Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : ''}</code></td>
    </tr>`,
  );
  const body = html`<h1>Audit log</h1>
    <table id="audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>On</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="pager">${nextBefore ? html`<a href="/console/audit?before=${q(nextBefore)}" id="older">Older</a>` : html`<span class="muted">No older entries.</span>`}</div>`;
  return layout({ title: 'Audit log', page, active: 'audit', body });
}

/** `2026-12-01 23:47:29` (UTC) from an ISO time: what a person reads, sortable as text. */
function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The dashboard's periods: the last 30 or 90 days. */
export const DASHBOARD_PERIODS_DAYS = [30, 90] as const;
export type DashboardPeriodDays = (typeof DASHBOARD_PERIODS_DAYS)[number];

type DayFigure = Exclude<keyof DashboardDay, 'day' | 'accountsTraded'>;

/** Money in and out of the clients' accounts, by kind. */
const FLOW_FIGURES: ReadonlyArray<readonly [DayFigure, string]> = [
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
const TRADING_FIGURES: ReadonlyArray<readonly [DayFigure, string]> = [
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
export function dashboardPage(page: PageContext, dashboard: Dashboard, days: DashboardPeriodDays): string {
  const body = html`<h1>Dashboard</h1>
    <div class="switch" id="period-switch">
      ${DASHBOARD_PERIODS_DAYS.map((choice) => html`<a href="/console/dashboard?days=${choice}" class="${choice === days ? 'active' : ''}" id="days-${choice}">Last ${choice} days</a>`)}
    </div>
    <p class="muted" id="period">${readableTime(dashboard.period.from.toISOString())} – ${readableTime(dashboard.period.to.toISOString())} UTC, per UTC day, newest first. Amounts are what the ledger booked, net of corrections.</p>
    ${dashboard.currencies.length ? dashboard.currencies.map(currencyDashboard) : html`<p class="muted">No accounts yet.</p>`}`;
  return layout({ title: 'Dashboard', page, active: 'dashboard', body, libraries: [CHART_LIBRARY_PATH], script: DASHBOARD_SCRIPT });
}

/** Where the console serves Chart.js (its UMD build, from node_modules), within the console and as a page links it. */
export const CHART_LIBRARY_ROUTE = '/assets/chart.umd.min.js';
const CHART_LIBRARY_PATH = `/console${CHART_LIBRARY_ROUTE}`;

function currencyDashboard(dashboard: CurrencyDashboard): SafeHtml {
  const { currency } = dashboard;
  const { scale } = requireCurrency(currency);
  const units = (minor: bigint) => formatMinorUnits(minor, scale);
  const total = (figure: DayFigure) => dashboard.days.reduce((sum, day) => sum + day[figure], 0n);
  const newestFirst = [...dashboard.days].reverse();
  const figureCell = (day: DashboardDay, figure: DayFigure) =>
    html`<td class="num" data-figure="${figureName(figure)}" data-value="${units(day[figure])}">${money(units(day[figure]), currency)}</td>`;
  const table = (id: string, caption: string, figures: ReadonlyArray<readonly [DayFigure, string]>, traded: boolean) => html`<h3>${caption}</h3>
    <table class="days" id="${id}-${currency}" data-chart-source="${id}">
      <thead><tr><th>Day</th>${figures.map(([, label]) => html`<th class="num">${label}</th>`)}${traded ? html`<th class="num">Accounts traded</th>` : ''}</tr></thead>
      <tbody>${newestFirst.map(
        (day) => html`<tr data-day="${day.day}"><td class="nowrap">${day.day}</td>${figures.map(([figure]) => figureCell(day, figure))}${traded ? html`<td class="num">${day.accountsTraded}</td>` : ''}</tr>`,
      )}</tbody>
      <tfoot><tr><td>Total</td>${figures.map(([figure]) => html`<td class="num">${money(units(total(figure)), currency)}</td>`)}${traded ? html`<td></td>` : ''}</tr></tfoot>
    </table>`;
  const figure = (id: string, name: string, value: SafeHtml | string) =>
    html`<div class="bucket" data-figure-total="${id}"><div class="name">${name}</div><div class="value">${value}</div></div>`;
  return html`<section class="card currency" data-currency="${currency}" id="currency-${currency}">
      <h2>${currency}</h2>
      <div class="buckets">
        ${figure('deposits', 'Deposits', money(units(total('depositsMinor')), currency))}
        ${figure('withdrawals', 'Withdrawals', money(units(total('withdrawalsMinor')), currency))}
        ${figure('bonus', 'Bonus granted', money(units(total('bonusGrantedMinor')), currency))}
        ${figure('house-result', 'House result', money(units(total('houseResultMinor')), currency))}
        ${figure('exposure', 'Open exposure now', html`${money(units(dashboard.exposure.heldMinor), currency)}<div class="muted">${dashboard.exposure.accountsWithOpenTrades} account(s) with open trades</div>`)}
      </div>
      <div class="charts">
        <div class="chart"><canvas class="flows-chart" role="img" aria-label="Deposits and withdrawals per day in ${currency}"></canvas></div>
        <div class="chart"><canvas class="result-chart" role="img" aria-label="House result per day in ${currency}"></canvas></div>
      </div>
      ${table('flows', 'Money in and out', FLOW_FIGURES, false)}
      ${table('trading', 'Trading', TRADING_FIGURES, true)}
    </section>`;
}

/**
 * Draws each currency's charts from its tables (oldest day first). A chart plots floating point,
 * which is exact enough for a bar's height: the exact figures are the tables' text.
 */
const DASHBOARD_SCRIPT = `
(() => {
  const series = (section, source, figure) =>
    [...section.querySelectorAll('table[data-chart-source="' + source + '"] tbody tr')].reverse().map((row) => ({
      day: row.dataset.day,
      value: Number(row.querySelector('[data-figure="' + figure + '"]').dataset.value),
    }));
  const options = (currency) => ({
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom' } },
    scales: { y: { title: { display: true, text: currency } } },
  });
  document.querySelectorAll('section[data-currency]').forEach((section) => {
    const currency = section.dataset.currency;
    const deposits = series(section, 'flows', 'deposits');
    const withdrawals = series(section, 'flows', 'withdrawals');
    const result = series(section, 'trading', 'houseResult');
    new Chart(section.querySelector('canvas.flows-chart'), {
      type: 'bar',
      data: {
        labels: deposits.map((point) => point.day),
        datasets: [
          { label: 'Deposits', data: deposits.map((point) => point.value), backgroundColor: '#1f7a3f' },
          { label: 'Withdrawals', data: withdrawals.map((point) => point.value), backgroundColor: '#b42318' },
        ],
      },
      options: options(currency),
    });
    new Chart(section.querySelector('canvas.result-chart'), {
      type: 'bar',
      data: {
        labels: result.map((point) => point.day),
        datasets: [{ label: 'House result', data: result.map((point) => point.value), backgroundColor: result.map((point) => (point.value < 0 ? '#b42318' : '#0b6bcb')) }],
      },
      options: options(currency),
    });
  });
})();
`;
