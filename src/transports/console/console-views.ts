import type { presentAccount, presentEntry } from '../admin-api/admin-presenters';
import { formatMinorUnits } from '../../core/money/amount';
import { findCurrency } from '../../core/money/currency';
import type { Listing, ReconciliationReport } from '../../core/reconciliation/reconciliation-service';
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
export function escapeHtml(value: string): string {
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

export type NavItem = 'accounts' | 'reconciliation' | 'match' | 'users' | 'audit';

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
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.scroll { overflow-x:auto; }
form.inline { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; }
label { display:flex; flex-direction:column; gap:4px; font-size:12px; color:var(--muted); }
label.check { flex-direction:row; align-items:center; gap:6px; font-size:14px; color:var(--ink); }
input, select { font:inherit; padding:6px 8px; border:1px solid #bcccdc; border-radius:4px; background:#fff; min-width:0; }
input[type=file] { padding:4px; }
button.primary { font:inherit; padding:7px 14px; border:0; border-radius:4px; background:var(--accent); color:#fff; cursor:pointer; }
button.primary:hover { background:#0956a4; }
.buckets { display:grid; grid-template-columns:repeat(5, 1fr); gap:12px; }
.bucket { background:#f0f4f8; border-radius:6px; padding:10px 12px; }
.bucket .name { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.bucket .value { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
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
nav .who { color:var(--muted); font-size:13px; margin-left:auto; }
`;

export function layout(options: LayoutOptions): string {
  const { nonce, session } = options.page;
  const link = (item: NavItem, href: string, label: string) => html`<a href="${href}" class="${options.active === item ? 'active' : ''}">${label}</a>`;
  const nav = session
    ? html`<nav>
        ${link('accounts', '/console/accounts', 'Accounts')}
        ${roleAllows(session.role, 'reconcile') ? link('reconciliation', '/console/reconciliation', 'Reconciliation') : ''}
        ${roleAllows(session.role, 'reconcile') ? link('match', '/console/match', 'Match') : ''}
        ${roleAllows(session.role, 'audit') ? link('audit', '/console/audit', 'Audit log') : ''}
        ${roleAllows(session.role, 'manage-users') ? link('users', '/console/users', 'Users') : ''}
        <span class="who" id="who">${session.username} · ${session.role}</span>
        <form method="post" action="/console/logout">${csrfField(session)}<button type="submit" id="logout">Log out</button></form>
      </nav>`
    : html``;
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
${script}
</body>
</html>
`.text;
}

/** The hidden field every form that POSTs carries: the session's CSRF token. */
export function csrfField(session: ViewSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;
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

export function searchPage(page: PageContext, options: { login?: string; error?: string } = {}): string {
  const body = html`<h1>Accounts</h1>
    ${message('error', options.error)}
    <section class="card">
      <form class="inline" method="get" action="/console/accounts">
        <label>Login <input type="text" name="login" id="login" inputmode="numeric" value="${options.login ?? ''}" required autofocus></label>
        <button type="submit" class="primary" id="search-account">Open account</button>
      </form>
    </section>`;
  return layout({ title: 'Accounts', page, active: 'accounts', body });
}

type PresentedAccount = ReturnType<typeof presentAccount>;
type PresentedEntry = ReturnType<typeof presentEntry>;

export interface AccountPageModel {
  account: PresentedAccount;
  entries: PresentedEntry[];
  nextCursor: string | null;
  firstPage: boolean;
  pageSize: number;
  statement: { from: string; to: string };
}

export function accountPage(page: PageContext, model: AccountPageModel): string {
  const { account } = model;
  const login = String(account.login);
  const bucket = (name: string, value: string) =>
    html`<div class="bucket" data-bucket="${name}"><div class="name">${name}</div><div class="value">${value}</div></div>`;
  const rows = model.entries.map(
    (entry) => html`<tr>
      <td class="num">${String(entry.version)}</td>
      <td class="nowrap"><code>${entry.createdAt}</code></td>
      <td>${entry.operation}</td>
      <td class="num">${entry.balanceChange}</td>
      <td class="num">${entry.creditChange}</td>
      <td class="num">${entry.heldChange}</td>
      <td class="num">${entry.balanceAfter}</td>
      <td class="num">${entry.creditAfter}</td>
      <td class="num">${entry.heldAfter}</td>
      <td class="num">${String(entry.order)}</td>
      <td class="nowrap">${entry.actorKind}: ${entry.actor}</td>
      <td>${entry.referenceId ?? ''}</td>
      <td>${entry.comment ?? ''}</td>
    </tr>`,
  );
  const pager = html`<div class="pager">
      ${model.firstPage ? html`` : html`<a href="/console/accounts/${q(login)}" id="newest">« Newest</a>`}
      ${model.nextCursor ? html`<a href="/console/accounts/${q(login)}?cursor=${q(model.nextCursor)}" id="older">Older »</a>` : html`<span class="muted">No older entries</span>`}
    </div>`;
  const body = html`<h1>Account ${login} <span class="badge ${account.status === 'active' ? 'ok' : 'bad'}">${account.status}</span></h1>
    <section class="card">
      <dl class="facts">
        <dt>Name</dt><dd id="account-name">${account.name ?? '—'}</dd>
        <dt>Currency</dt><dd>${account.currency}</dd>
        <dt>Version</dt><dd>${String(account.version)}</dd>
        <dt>Opened</dt><dd>${account.createdAt}</dd>
        <dt>Updated</dt><dd>${account.updatedAt}</dd>
      </dl>
    </section>
    <section class="card">
      <div class="buckets">
        ${bucket('balance', account.balance)}${bucket('credit', account.credit)}${bucket('held', account.held)}
        ${bucket('available', account.available)}${bucket('withdrawable', account.withdrawable)}
      </div>
    </section>
    <section class="card">
      <h2>Statement</h2>
      <form class="inline" method="get" action="/console/accounts/${q(login)}/statement" id="statement-form">
        <label>From (UTC day) <input type="date" name="from" value="${model.statement.from}"></label>
        <label>To (UTC day, included) <input type="date" name="to" value="${model.statement.to}"></label>
        <label>Format <select name="format"><option value="csv">CSV</option><option value="json">JSON</option></select></label>
        <button type="submit" class="primary" id="download-statement">Download</button>
      </form>
    </section>
    <h2>Ledger <span class="muted">(newest first, ${model.pageSize} per page, amounts in ${account.currency})</span></h2>
    <div class="scroll">
      <table id="ledger">
        <thead><tr>
          <th class="num">Version</th><th>Time (UTC)</th><th>Operation</th>
          <th class="num">Balance Δ</th><th class="num">Credit Δ</th><th class="num">Held Δ</th>
          <th class="num">Balance</th><th class="num">Credit</th><th class="num">Held</th>
          <th class="num">Order</th><th>Actor</th><th>Reference</th><th>Comment</th>
        </tr></thead>
        <tbody>${rows.length ? rows : html`<tr><td colspan="13" class="muted">No entries.</td></tr>`}</tbody>
      </table>
    </div>
    ${pager}`;
  return layout({ title: `Account ${login}`, page, active: 'accounts', body });
}

export interface ReconciliationForm {
  from: string;
  to: string;
  staleHoldAgeH: string;
}

export function reconciliationPage(page: PageContext, form: ReconciliationForm, report?: ReconciliationReport, error?: string): string {
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
      <p class="muted">The invariant checks always cover the whole ledger; the period limits the orphan closes, refused duplicates and sync timeouts.</p>
    </section>
    ${report ? reportView(report) : html``}`;
  return layout({ title: 'Reconciliation', page, active: 'reconciliation', body });
}

function reportView(report: ReconciliationReport): SafeHtml {
  const checks = report.checks.map(
    (check) => html`<tr>
      <td><code>${check.check}</code></td>
      <td>${check.description}</td>
      <td class="num">${check.discrepancies}</td>
      <td>${check.discrepancies === 0 ? html`<span class="badge ok">OK</span>` : html`<span class="badge bad">FAILED</span>`}</td>
    </tr>`,
  );
  const discrepancies = report.discrepancies.items.map(
    (item) => html`<tr>
      <td><code>${item.check}</code></td>
      <td>${item.login ? html`<a href="/console/accounts/${q(item.login)}">${item.login}</a>` : '—'}</td>
      <td>${item.subject ?? '—'}</td>
      <td class="num">${item.expected}</td>
      <td class="num">${item.found}</td>
      <td>${item.entryIds.join(', ')}</td>
    </tr>`,
  );
  const exceptions = report.exceptions;
  return html`<section class="card" id="report">
      <h2>Result: ${report.clean ? html`<span class="badge ok" id="verdict">CLEAN</span>` : html`<span class="badge bad" id="verdict">DISCREPANCIES FOUND</span>`}</h2>
      <dl class="facts">
        <dt>Checked at</dt><dd>${report.checkedAt}</dd>
        <dt>Read from</dt><dd>${report.replicaLagS === null ? 'the primary' : `a replica, ${Math.round(report.replicaLagS * 10) / 10} s behind the primary`}</dd>
        <dt>Period</dt><dd>${report.period.from} – ${report.period.to}</dd>
        <dt>Stale hold age</dt><dd>${report.staleHoldAgeS / 3600} h</dd>
      </dl>
    </section>
    <h2>Checks</h2>
    <div class="scroll"><table id="checks">
      <thead><tr><th>Check</th><th>Description</th><th class="num">Discrepancies</th><th>Status</th></tr></thead>
      <tbody>${checks}</tbody>
    </table></div>
    <h2>Discrepancies ${countBadge(report.discrepancies, 'bad')}</h2>
    ${truncationNote(report.discrepancies)}
    ${
      discrepancies.length
        ? html`<div class="scroll"><table id="discrepancies">
            <thead><tr><th>Check</th><th>Login</th><th>Subject</th><th class="num">Expected (minor units)</th><th class="num">Found (minor units)</th><th>Entries</th></tr></thead>
            <tbody>${discrepancies}</tbody>
          </table></div>`
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

/** One exception category: its rows' own columns, plus the amount in the currency's decimals when known. */
function exceptionTable(title: string, id: string, listing: Listing<Record<string, unknown>>): SafeHtml {
  const columns = [...new Set(listing.items.flatMap((item) => Object.keys(item)))];
  const withAmount = columns.includes('amount_minor') && columns.includes('currency');
  const rows = listing.items.map(
    (item) => html`<tr>
      ${columns.map((column) => {
        const content = column === 'login' && typeof item.login === 'string' ? html`<a href="/console/accounts/${q(item.login)}">${item.login}</a>` : cell(item[column]);
        return column.endsWith('_minor') ? html`<td class="num">${content}</td>` : html`<td>${content}</td>`;
      })}
      ${withAmount ? html`<td class="num">${formattedAmount(item.amount_minor, item.currency)}</td>` : html``}
    </tr>`,
  );
  return html`<section class="card" id="${id}">
      <h2>${title} ${countBadge(listing, 'warn')}</h2>
      ${truncationNote(listing)}
      ${
        rows.length
          ? html`<div class="scroll"><table>
              <thead><tr>${columns.map((column) => (column.endsWith('_minor') ? html`<th class="num">${column}</th>` : html`<th>${column}</th>`))}${withAmount ? html`<th class="num">amount</th>` : html``}</tr></thead>
              <tbody>${rows}</tbody>
            </table></div>`
          : html`<p class="muted">None.</p>`
      }
    </section>`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function formattedAmount(minor: unknown, currency: unknown): string {
  const known = typeof currency === 'string' ? findCurrency(currency) : undefined;
  if (!known || typeof minor !== 'string' || !/^-?\d{1,20}$/.test(minor)) return '—';
  return `${formatMinorUnits(BigInt(minor), known.scale)} ${known.code}`;
}

export function matchPage(page: PageContext, uploadBytesMax: number): string {
  const body = html`<h1>Match external records</h1>
    <section class="card">
      <p class="muted">Upload a CSV from a payment provider or the trading platform. Its rows are matched against the ledger by reference and amount. A dry run (the default) saves nothing.</p>
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
        <label class="check"><input type="checkbox" name="dryRun" checked> Dry run</label>
        <button type="submit" class="primary" id="run-match">Match</button>
      </form>
    </section>
    <div id="match-status" role="status"></div>
    <div id="match-result"></div>`;
  return layout({ title: 'Match', page, active: 'match', body, script: MATCH_SCRIPT });
}

/**
 * Posts the chosen file as text/csv with the options in the query, then renders the JSON report
 * with DOM nodes and textContent only (no markup is ever built from the report).
 */
const MATCH_SCRIPT = `
(() => {
  const form = document.getElementById('match-form');
  const status = document.getElementById('match-status');
  const result = document.getElementById('match-result');
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };
  const say = (kind, text) => {
    status.replaceChildren(el('div', text, 'message ' + kind));
  };
  const table = (headers, rows, id) => {
    const t = el('table');
    if (id) t.id = id;
    const head = el('tr');
    headers.forEach((h) => head.append(el('th', h)));
    t.append(el('thead'));
    t.tHead.append(head);
    const body = el('tbody');
    rows.forEach((cells) => {
      const tr = el('tr');
      cells.forEach((c) => tr.append(el('td', c === null || c === undefined ? '—' : c)));
      body.append(tr);
    });
    t.append(body);
    const wrap = el('div', null, 'scroll');
    wrap.append(t);
    return wrap;
  };
  const show = (report) => {
    const card = el('section', null, 'card');
    card.id = 'match-report';
    card.append(el('h2', report.dryRun ? 'Dry run ' + report.runId + ' (kept in the history, not applied)' : 'Applied as run ' + report.runId));
    const facts = el('dl', null, 'facts');
    const fact = (name, value) => { facts.append(el('dt', name), el('dd', value)); };
    fact('Ledger side', report.side);
    fact('Period', report.period.from + ' – ' + report.period.to);
    fact('File rows', report.fileRows);
    Object.entries(report.counts).forEach(([outcome, count]) => fact(outcome.replace(/_/g, ' '), count));
    fact('Invalid rows', report.invalidRows.count);
    card.append(facts);
    const parts = [card];
    if (report.invalidRows.items.length) {
      parts.push(el('h2', 'Invalid rows'));
      const list = el('ul');
      report.invalidRows.items.forEach((line) => list.append(el('li', line)));
      parts.push(list);
    }
    parts.push(el('h2', 'Exceptions (' + report.exceptions.count + ')'));
    parts.push(report.exceptions.items.length
      ? table(['Outcome', 'Reference', 'Currency', 'File (minor units)', 'Ledger (minor units)', 'Detail'],
          report.exceptions.items.map((i) => [i.outcome, i.reference, i.currency, i.externalMinor, i.ledgerMinor, i.detail]), 'match-exceptions')
      : el('p', 'None: every record matched.', 'muted'));
    if (report.exceptions.truncated) parts.push(el('p', 'Showing the first ' + report.exceptions.items.length + '.', 'muted'));
    result.replaceChildren(...parts);
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) { say('error', 'Choose a CSV file.'); return; }
    if (file.size > Number(form.dataset.maxBytes)) { say('error', 'The file is larger than ' + form.dataset.maxBytes + ' bytes.'); return; }
    const params = new URLSearchParams();
    ['side', 'referenceColumn', 'amountColumn', 'currencyColumn', 'dateColumn', 'driftMinor', 'from', 'to'].forEach((name) => {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    });
    params.set('dryRun', form.elements.dryRun.checked ? 'true' : 'false');
    say('info', 'Matching ' + file.name + '…');
    result.replaceChildren();
    try {
      const text = await file.text();
      const response = await fetch('/console/match/run?' + params, {
        method: 'POST', body: text, credentials: 'same-origin',
        headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content },
      });
      if (response.redirected || response.status === 401) { window.location.assign('/console/login'); return; }
      const answer = await response.json();
      if (!response.ok) { say('error', answer.message || ('Matching failed (' + response.status + ').')); return; }
      say('info', 'Matched ' + file.name + '.');
      show(answer);
    } catch (error) {
      say('error', 'Matching failed: ' + error.message);
    }
  });
})();
`;

export function errorPage(page: PageContext, status: number, text: string): string {
  const body = html`<h1>${status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot do that'}</h1>
    ${message('error', text)}
    <p><a href="/console/accounts">Back to accounts</a></p>`;
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
