import type { MatchReport } from '../../../core/reconciliation/match-service';
import { countBadge, money, readableTime, truncationNote } from './fragments';
import { html, type SafeHtml } from './html';

/** A match's answer as a reopened run shows it: counts, totals per currency and outcome, the exceptions. */

type MatchException = MatchReport['exceptions']['items'][number];

/** `amount_mismatch` -> `amount mismatch`. */
const words = (name: string) => name.replace(/_/g, ' ');

function amountOf(amount: string | null, currency: string | null): SafeHtml | string {
  if (amount === null) return '—';
  return currency ? money(amount, currency) : amount;
}

function exceptionRow(item: MatchException): SafeHtml {
  const parts = (item.parts ?? []).map(
    (part, index) =>
      html`${index ? '; ' : ''}${part.side === 'file' ? `line ${part.line}` : part.reference}: \
${part.amount === null ? 'missing' : amountOf(part.amount, part.currency)}`,
  );
  return html`<tr>
      <td>${words(item.outcome)}</td>
      <td>${item.match}</td>
      <td class="wrap">${item.reference}</td>
      <td class="num">${amountOf(item.fileAmount, item.currency)}</td>
      <td class="num">${amountOf(item.ledgerAmount, item.currency)}</td>
      <td>${item.lines.join(', ')}</td>
      <td class="wrap">${parts}</td>
      <td class="wrap">${item.detail ?? ''}</td>
    </tr>`;
}

function matchFacts(report: MatchReport): SafeHtml {
  const counts = Object.entries(report.counts).map(
    ([outcome, count]) => html`<dt>${words(outcome)}</dt><dd data-count="${outcome}">${count}</dd>`,
  );
  const title = report.dryRun
    ? `Dry run ${report.runId} (kept in the history, not applied)`
    : `Applied as run ${report.runId}`;
  return html`<section class="card" id="match-report">
      <h2>${title}</h2>
      <dl class="facts">
        <dt>Ledger side</dt><dd>${report.side}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(report.period.from)} – ${readableTime(report.period.to)}</dd>
        <dt>File rows</dt><dd>${report.fileRows}</dd>
        ${counts}
        <dt>Invalid rows</dt><dd>${report.invalidRows.count}</dd>
      </dl>
    </section>`;
}

function totalsTable(report: MatchReport): SafeHtml {
  const totals = report.totals.map(
    (total) => html`<tr>
      <td>${total.currency}</td>
      <td>${words(total.outcome)}</td>
      <td class="num">${total.count}</td>
      <td class="num">${money(total.fileAmount, total.currency)}</td>
      <td class="num">${money(total.ledgerAmount, total.currency)}</td>
    </tr>`,
  );
  return html`<table id="match-totals">
      <thead><tr><th>Currency</th><th>Outcome</th><th class="num">Items</th><th class="num">File</th>\
<th class="num">Ledger</th></tr></thead>
      <tbody>${totals.length ? totals : html`<tr><td colspan="5" class="muted">No items.</td></tr>`}</tbody>
    </table>`;
}

export function matchReportView(report: MatchReport): SafeHtml {
  const invalid = report.invalidRows.items;
  const lines = invalid.map((line) => html`<li>${line}</li>`);
  const invalidList = html`<h2>Invalid rows</h2><ul id="invalid-rows">${lines}</ul>`;
  const exceptions = report.exceptions.items.map(exceptionRow);
  return html`${matchFacts(report)}
    ${invalid.length ? invalidList : html``}
    <h2>Totals per currency and outcome</h2>
    ${totalsTable(report)}
    <h2>Exceptions ${countBadge(report.exceptions, 'warn')}</h2>
    ${truncationNote(report.exceptions)}
    ${
      exceptions.length
        ? html`<table id="match-exceptions">
            <thead><tr><th>Outcome</th><th>Match</th><th>Reference</th><th class="num">File</th>\
<th class="num">Ledger</th><th>Lines</th><th>Parts</th><th>Detail</th></tr></thead>
            <tbody>${exceptions}</tbody>
          </table>`
        : html`<p class="muted">None: every record matched.</p>`
    }`;
}
