import type { PresentedRun } from '../../presenters/reconciliation';
import { readableTime } from './fragments';
import { html, q, type SafeHtml } from './html';
import { layout, type PageContext } from './layout';

/** One page of the history, of one kind of run or of both (''). */
export interface RunsPageModel {
  runs: PresentedRun[];
  kind: '' | 'reconciliation' | 'match';
  nextCursor: string | null;
  firstPage: boolean;
}

const KINDS = [
  ['', 'All'],
  ['reconciliation', 'Reconciliations'],
  ['match', 'Matches'],
] as const;

/** What a run found, in a few words: a reconciliation's verdict, a match's counts. */
function runVerdict(run: PresentedRun): SafeHtml {
  const summary = run.summary as { clean?: boolean; discrepancies?: number; counts?: Record<string, number> };
  if (run.kind === 'reconciliation') {
    return summary.clean
      ? html`<span class="badge ok">clean</span>`
      : html`<span class="badge bad">${summary.discrepancies ?? '?'} discrepancies</span>`;
  }
  const counts = Object.entries(summary.counts ?? {}).filter(([, count]) => count > 0);
  const badge = (outcome: string, count: number) =>
    html`<span class="badge ${outcome === 'matched' ? 'ok' : 'warn'}">${outcome.replace(/_/g, ' ')} ${count}</span>`;
  return html`${counts.map(([outcome, count], index) => html`${index ? ' · ' : ''}${badge(outcome, count)}`)}`;
}

function runRow(run: PresentedRun): SafeHtml {
  return html`<tr data-run="${run.id}">
      <td class="num"><a href="/console/runs/${q(run.id)}">${run.id}</a></td>
      <td>${readableTime(run.createdAt)}</td>
      <td class="wrap">${run.actor}</td>
      <td>${run.kind}${run.dryRun === null ? '' : run.dryRun ? ' (dry run)' : ' (applied)'}</td>
      <td>${readableTime(run.period.from)} – ${readableTime(run.period.to)}</td>
      <td>${runVerdict(run)}</td>
    </tr>`;
}

/** The history of reconciliation and matching runs, newest first: each reopens as it was. */
export function runsPage(page: PageContext, model: RunsPageModel): string {
  const kindQuery = model.kind ? `kind=${q(model.kind)}&` : '';
  const rows = model.runs.map(runRow);
  const kinds = KINDS.map(
    ([kind, label]) =>
      html`<a href="/console/runs${kind ? `?kind=${kind}` : ''}" class="${model.kind === kind ? 'active' : ''}">\
${label}</a>`,
  );
  const older = model.nextCursor
    ? html`<a href="/console/runs?${kindQuery}cursor=${q(model.nextCursor)}" id="older">Older »</a>`
    : html`<span class="muted">No older runs</span>`;
  const body = html`<h1>History of runs</h1>
    <div class="switch">
      ${kinds}
    </div>
    <table id="runs">
      <thead><tr><th class="num">Run</th><th>When (UTC)</th><th>Who</th><th>Kind</th><th>Period (UTC)</th>\
<th>Verdict</th></tr></thead>
      <tbody>${rows.length ? rows : html`<tr><td colspan="6" class="muted">No runs yet.</td></tr>`}</tbody>
    </table>
    <div class="pager">
      ${model.firstPage ? html`` : html`<a href="/console/runs?${kindQuery}" id="newest">« Newest</a>`}
      ${older}
    </div>`;
  return layout({ title: 'History', page, active: 'runs', body });
}
