import type { ReconciliationReport } from '../../../core/reconciliation/reconciliation-service';
import { html } from './html';
import { layout, message, type PageContext } from './layout';
import { reportView, type LoginCurrencies } from './reconciliation-report';

/** The reconciliation form's fields as typed ('' when left empty). */
export interface ReconciliationForm {
  from: string;
  to: string;
  staleHoldAgeH: string;
}

/** The form, and once run, the report (or why the form was refused). */
export interface ReconciliationPageModel {
  form: ReconciliationForm;
  result?: { report: ReconciliationReport; currencies: LoginCurrencies };
  error?: string;
}

export function reconciliationPage(page: PageContext, { form, result, error }: ReconciliationPageModel): string {
  const staleHoldAge = html`<input type="number" name="staleHoldAgeH" min="0" step="1" value="${form.staleHoldAgeH}">`;
  const body = html`<h1>Reconciliation</h1>
    ${message('error', error)}
    <section class="card">
      <form class="inline" method="get" action="/console/reconciliation">
        <label>From (UTC day, optional) <input type="date" name="from" value="${form.from}"></label>
        <label>To (UTC day, included, optional) <input type="date" name="to" value="${form.to}"></label>
        <label>Stale hold age (hours) ${staleHoldAge}</label>
        <input type="hidden" name="run" value="1">
        <button type="submit" class="primary" id="run-reconciliation">Run reconciliation</button>
      </form>
      <p class="muted">The invariant checks always cover the whole ledger; the period limits the orphan closes, \
refused duplicates and sync timeouts. Every run is kept in the <a href="/console/runs">history</a>.</p>
    </section>
    ${result ? reportView(result.report, result.currencies) : html``}`;
  return layout({ title: 'Reconciliation', page, active: 'reconciliation', body });
}
