import { roleAllows } from '../../../core/access/console-roles';
import type { PresentedAccount } from '../../presenters/accounts';
import type { PresentedEntry } from '../../presenters/ledger';
import type { PresentedBalanceAt } from '../../presenters/reconciliation';
import { money, options, readableTime, statusBadge } from './fragments';
import { html, q, type SafeHtml } from './html';
import { layout, message, type PageContext } from './layout';

/** The ledger filter of the account page, as its form and links carry it. */
export interface LedgerFilterForm {
  operation: string;
  from: string;
  to: string;
  reference: string;
}

/** One account: its facts and buckets, its balance at a moment, a statement, a page of its ledger. */
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

function factsSection(account: PresentedAccount): SafeHtml {
  return html`<section class="card">
      <dl class="facts">
        <dt>Name</dt><dd id="account-name">${account.name ?? '—'}</dd>
        <dt>Currency</dt><dd>${account.currency}</dd>
        <dt>Version</dt><dd>${String(account.version)}</dd>
        <dt>Opened (UTC)</dt><dd>${readableTime(account.createdAt)}</dd>
        <dt>Updated (UTC)</dt><dd>${readableTime(account.updatedAt)}</dd>
      </dl>
    </section>`;
}

function bucketsSection(account: PresentedAccount): SafeHtml {
  const bucket = (name: string, value: string) =>
    html`<div class="bucket" data-bucket="${name}"><div class="name">${name}</div>\
<div class="value">${value}</div></div>`;
  return html`<section class="card">
      <div class="buckets">
        ${bucket('balance', account.balance)}${bucket('credit', account.credit)}${bucket('held', account.held)}
        ${bucket('available', account.available)}${bucket('withdrawable', account.withdrawable)}
      </div>
      <p class="muted">Amounts in ${account.currency}.</p>
    </section>`;
}

function balanceAtAnswer(at: PresentedBalanceAt): SafeHtml {
  const bucket = (name: 'balance' | 'credit' | 'held' | 'available') =>
    html`<div class="bucket" data-at-bucket="${name}"><div class="name">${name}</div>\
<div class="value">${money(at[name], at.currency)}</div></div>`;
  const source = at.entry
    ? html`as left by entry <a href="/console/entries/${q(String(at.entry.id))}">${String(at.entry.id)}</a> \
(version ${String(at.entry.version)}, ${readableTime(at.entry.createdAt)})`
    : "before the account's first entry.";
  return html`<div class="buckets" id="balance-at-answer">
                ${bucket('balance')}
                ${bucket('credit')}
                ${bucket('held')}
                ${bucket('available')}
              </div>
              <p class="muted" id="balance-at-source">At ${readableTime(at.at)} UTC: ${source}</p>`;
}

function balanceAtSection(here: string, balanceAt: AccountPageModel['balanceAt']): SafeHtml {
  const moment = html`<input type="datetime-local" name="at" id="at" step="1" value="${balanceAt.at}" required>`;
  return html`<section class="card" id="balance-at">
      <h2>Balance at a moment</h2>
      <form class="inline" method="get" action="${here}" id="balance-at-form">
        <label>Moment (UTC) ${moment}</label>
        <button type="submit" class="primary" id="read-balance-at">Show the balance then</button>
      </form>
      ${balanceAt.answer ? balanceAtAnswer(balanceAt.answer) : html``}
    </section>`;
}

function statementSection(here: string, statement: AccountPageModel['statement']): SafeHtml {
  const formats = html`<select name="format"><option value="csv">CSV</option>\
<option value="json">JSON</option></select>`;
  return html`<section class="card">
            <h2>Statement</h2>
            <form class="inline" method="get" action="${here}/statement" id="statement-form">
              <label>From (UTC day) <input type="date" name="from" value="${statement.from}"></label>
              <label>To (UTC day, included) <input type="date" name="to" value="${statement.to}"></label>
              <label>Format ${formats}</label>
              <button type="submit" class="primary" id="download-statement">Download</button>
            </form>
          </section>`;
}

function entryRow(entry: PresentedEntry): SafeHtml {
  const amount = (value: string) => html`<td class="num">${money(value, entry.currency)}</td>`;
  const text = (value: string | null) => html`<td class="wrap"><div class="text">${value ?? ''}</div></td>`;
  return html`<tr>
      <td class="num"><a href="/console/entries/${q(String(entry.id))}">${String(entry.version)}</a></td>
      <td>${readableTime(entry.createdAt)}</td>
      <td>${entry.operation}</td>
      ${amount(entry.balanceChange)}
      ${amount(entry.creditChange)}
      ${amount(entry.heldChange)}
      ${amount(entry.balanceAfter)}
      ${amount(entry.creditAfter)}
      ${amount(entry.heldAfter)}
      <td class="wrap"><div class="text">${entry.actorKind}: ${entry.actor}</div></td>
      ${text(entry.referenceId)}
      ${text(entry.comment)}
    </tr>`;
}

/** The ledger's filter, with the export of what it selects for those who may download. */
function ledgerFilterSection(model: AccountPageModel, here: string, query: string, canDownload: boolean): SafeHtml {
  const { filter } = model;
  const operations = options([['', 'Any'], ...model.operations.map((name) => [name, name] as const)], filter.operation);
  const reference = html`<input type="text" name="reference" id="filter-reference" maxlength="128" \
value="${filter.reference}">`;
  const exportLink = html`<div class="actions"><a class="button" href="${here}/ledger.csv?${query}" id="export-ledger">\
Export these entries (CSV)</a></div>`;
  return html`<section class="card">
      <form class="inline" method="get" action="${here}" id="ledger-filter">
        <label>Operation <select name="operation" id="filter-operation">${operations}</select></label>
        <label>From (UTC day) <input type="date" name="from" id="filter-from" value="${filter.from}"></label>
        <label>To (UTC day, included) <input type="date" name="to" id="filter-to" value="${filter.to}"></label>
        <label>Reference ${reference}</label>
        <button type="submit" class="primary" id="filter-ledger">Filter</button>
        <a href="${here}">Clear</a>
      </form>
      ${canDownload ? exportLink : html``}
    </section>`;
}

function ledgerSection(model: AccountPageModel, here: string, canDownload: boolean): SafeHtml {
  const given = Object.fromEntries(Object.entries(model.filter).filter(([, value]) => value !== ''));
  const filterQuery = (extra: Record<string, string> = {}) => new URLSearchParams({ ...given, ...extra }).toString();
  const rows = model.entries.map(entryRow);
  const older = model.nextCursor
    ? html`<a href="${here}?${filterQuery({ cursor: model.nextCursor })}" id="older">Older »</a>`
    : html`<span class="muted">No older entries</span>`;
  return html`<h2>Ledger <span class="muted">(newest first, ${model.pageSize} per page)</span></h2>
    ${ledgerFilterSection(model, here, filterQuery(), canDownload)}
    <table id="ledger">
      <thead><tr>
        <th class="num">Version</th><th>Time (UTC)</th><th>Operation</th>
        <th class="num">Balance Δ</th><th class="num">Credit Δ</th><th class="num">Held Δ</th>
        <th class="num">Balance</th><th class="num">Credit</th><th class="num">Held</th>
        <th>Actor</th><th>Reference</th><th>Comment</th>
      </tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="12" class="muted">No entries.</td></tr>`}</tbody>
    </table>
    <div class="pager">
      ${model.firstPage ? html`` : html`<a href="${here}?${filterQuery()}" id="newest">« Newest</a>`}
      ${older}
    </div>`;
}

export function accountPage(page: PageContext, model: AccountPageModel): string {
  const login = String(model.account.login);
  const canDownload = page.session !== undefined && roleAllows(page.session.role, 'download');
  const here = `/console/accounts/${q(login)}`;
  const body = html`<h1>Account ${login} ${statusBadge(model.account.status)}</h1>
    ${message('error', model.error)}
    ${factsSection(model.account)}
    ${bucketsSection(model.account)}
    ${balanceAtSection(here, model.balanceAt)}
    ${canDownload ? statementSection(here, model.statement) : html``}
    ${ledgerSection(model, here, canDownload)}`;
  return layout({ title: `Account ${login}`, page, active: 'accounts', body });
}
