import { roleAllows } from '../../../core/access/console-roles';
import type { MatchReport } from '../../../core/reconciliation/match-service';
import type { ReconciliationReport } from '../../../core/reconciliation/reconciliation-service';
import type { PresentedRun } from '../../presenters/reconciliation';
import { readableTime } from './fragments';
import { html, q, type SafeHtml } from './html';
import { layout, type PageContext } from './layout';
import { matchReportView } from './match-report';
import { reportView, type LoginCurrencies } from './reconciliation-report';

/** One run of the history and its answer as it was given. */
export interface RunPageModel {
  run: PresentedRun;
  /** The answer as it was given; null for a match applied before the history kept answers. */
  result: Record<string, unknown> | null;
  currencies: LoginCurrencies;
}

function runFacts(run: PresentedRun): SafeHtml {
  const applied = run.dryRun === null ? '' : run.dryRun ? ' · dry run' : ' · applied';
  return html`<section class="card">
      <dl class="facts" id="run-facts">
        <dt>Run</dt><dd>${run.id} · ${run.kind}${applied}</dd>
        <dt>Who</dt><dd id="run-actor">${run.actor}</dd>
        <dt>When (UTC)</dt><dd>${readableTime(run.createdAt)}</dd>
        <dt>Period (UTC)</dt><dd>${readableTime(run.period.from)} – ${readableTime(run.period.to)}</dd>
        <dt>Options</dt><dd><code>${JSON.stringify(run.options)}</code></dd>
      </dl>
    </section>`;
}

function resultView({ run, result, currencies }: RunPageModel): SafeHtml {
  if (result === null) {
    return html`<p class="muted">This run was applied before the history kept answers: its items are in the CSV.</p>`;
  }
  if (run.kind === 'reconciliation') return reportView(result as unknown as ReconciliationReport, currencies);
  return matchReportView(result as unknown as MatchReport);
}

/** One run of the history, reopened exactly as it was answered. */
export function runPage(page: PageContext, model: RunPageModel): string {
  const { run } = model;
  const canDownload = page.session !== undefined && roleAllows(page.session.role, 'download');
  const download =
    run.kind === 'match' && canDownload
      ? html`<div class="actions"><a class="button" href="/console/runs/${q(run.id)}/items.csv" id="download-items">\
Download every item (CSV)</a></div>`
      : html``;
  const body = html`<h1>Run ${run.id}</h1>${runFacts(run)}${download}${resultView(model)}`;
  return layout({ title: `Run ${run.id}`, page, active: 'runs', body });
}
