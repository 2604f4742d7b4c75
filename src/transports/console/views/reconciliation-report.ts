import { findCurrency } from '../../../core/money/currency';
import type { Discrepancy, Listing, ReconciliationReport } from '../../../core/reconciliation/reconciliation-service';
import { countBadge, minorMoney, readableTime, truncationNote } from './fragments';
import { html, q, type SafeHtml } from './html';

/** A reconciliation's answer as the reconciliation page and a reopened run show it. */

/** The currency of each login a report names (a discrepancy's amounts are in its account's minor units). */
export type LoginCurrencies = ReadonlyMap<string, string>;

/** A discrepancy's currency: its account's, or its subject when that is a currency (a currency's postings). */
function discrepancyCurrency(item: Discrepancy, currencies: LoginCurrencies): string | undefined {
  if (item.login !== null) return currencies.get(item.login);
  return item.subject !== null && findCurrency(item.subject) ? item.subject : undefined;
}

function readFrom(replicaLagS: number | null): string {
  return replicaLagS === null ? 'the primary' : `a replica, ${Math.round(replicaLagS * 10) / 10} s behind the primary`;
}

function reportFacts(report: ReconciliationReport): SafeHtml {
  const verdict = report.clean
    ? html`<span class="badge ok" id="verdict">CLEAN</span>`
    : html`<span class="badge bad" id="verdict">DISCREPANCIES FOUND</span>`;
  return html`<section class="card" id="report">
      <h2>Result: ${verdict}</h2>
      <dl class="facts">
        <dt>Run</dt><dd><a href="/console/runs/${q(report.runId)}" id="run-link">${report.runId}</a></dd>
        <dt>Checked at (UTC)</dt><dd>${readableTime(report.checkedAt)}</dd>
        <dt>Read from</dt><dd>${readFrom(report.replicaLagS)}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(report.period.from)} – ${readableTime(report.period.to)}</dd>
        <dt>Stale hold age</dt><dd>${report.staleHoldAgeS / 3600} h</dd>
      </dl>
    </section>`;
}

function discrepancyRow(item: Discrepancy, currencies: LoginCurrencies): SafeHtml {
  const currency = discrepancyCurrency(item, currencies);
  const entries = item.entryIds.map(
    (id, index) => html`${index ? ', ' : ''}<a href="/console/entries/${q(id)}" class="entry-link">${id}</a>`,
  );
  return html`<tr>
      <td><code>${item.check}</code></td>
      <td>${item.login ? html`<a href="/console/accounts/${q(item.login)}">${item.login}</a>` : '—'}</td>
      <td class="wrap">${item.subject ?? '—'}</td>
      <td class="num">${minorMoney(item.expected, currency)}</td>
      <td class="num">${minorMoney(item.found, currency)}</td>
      <td class="wrap">${entries}</td>
    </tr>`;
}

function checkRow(check: ReconciliationReport['checks'][number]): SafeHtml {
  const status =
    check.discrepancies === 0 ? html`<span class="badge ok">OK</span>` : html`<span class="badge bad">FAILED</span>`;
  return html`<tr>
      <td><code>${check.check}</code></td>
      <td>${check.description}</td>
      <td class="num">${check.discrepancies}</td>
      <td>${status}</td>
    </tr>`;
}

export function reportView(report: ReconciliationReport, currencies: LoginCurrencies): SafeHtml {
  const discrepancies = report.discrepancies.items.map((item) => discrepancyRow(item, currencies));
  const { exceptions } = report;
  return html`${reportFacts(report)}
    <h2>Checks</h2>
    <table id="checks">
      <thead><tr><th>Check</th><th>Description</th><th class="num">Discrepancies</th><th>Status</th></tr></thead>
      <tbody>${report.checks.map(checkRow)}</tbody>
    </table>
    <h2>Discrepancies ${countBadge(report.discrepancies, 'bad')}</h2>
    ${truncationNote(report.discrepancies)}
    ${
      discrepancies.length
        ? html`<table id="discrepancies">
            <thead><tr><th>Check</th><th>Login</th><th>Subject</th><th class="num">Expected</th>\
<th class="num">Found</th><th>Entries</th></tr></thead>
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

/** One cell of an exception row: an amount, a login that links to its account, or the value as text. */
function exceptionCell(item: Record<string, unknown>, column: string): SafeHtml {
  const value = item[column];
  if (column.endsWith('_minor')) {
    const currency = typeof item.currency === 'string' ? item.currency : null;
    const minor = value === null || value === undefined ? null : String(value);
    return html`<td class="num">${minorMoney(minor, currency)}</td>`;
  }
  if (column === 'login' && typeof value === 'string')
    return html`<td><a href="/console/accounts/${q(value)}">${value}</a></td>`;
  return html`<td class="wrap">${cell(value)}</td>`;
}

/**
 * One exception category with its rows' own columns; a `*_minor` column is shown in the row's
 * currency units (headed without the suffix), and times are made readable.
 */
function exceptionTable(title: string, id: string, listing: Listing<Record<string, unknown>>): SafeHtml {
  const columns = [...new Set(listing.items.flatMap((item) => Object.keys(item)))];
  const heading = (column: string) => column.replace(/_minor$/, '').replace(/_/g, ' ');
  const headings = columns.map((column) =>
    column.endsWith('_minor') ? html`<th class="num">${heading(column)}</th>` : html`<th>${heading(column)}</th>`,
  );
  const rows = listing.items.map(
    (item) => html`<tr>
      ${columns.map((column) => exceptionCell(item, column))}
    </tr>`,
  );
  return html`<section class="card" id="${id}">
      <h2>${title} ${countBadge(listing, 'warn')}</h2>
      ${truncationNote(listing)}
      ${
        rows.length
          ? html`<table>
              <thead><tr>${headings}</tr></thead>
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
