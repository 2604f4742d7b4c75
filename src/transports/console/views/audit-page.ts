import type { PresentedAuditEntry } from '../../presenters/users';
import { readableTime } from './fragments';
import { html, q } from './html';
import { layout, type PageContext } from './layout';

/** A page of the audit log, newest first, and where the next (older) page starts. */
export interface AuditPageModel {
  entries: PresentedAuditEntry[];
  /** The id the next page comes before; null on the oldest page. */
  nextBefore: string | null;
}

/** Who did what, newest first (finance and admins). */
export function auditPage(page: PageContext, { entries, nextBefore }: AuditPageModel): string {
  const rows = entries.map(
    (entry) => html`<tr>
      <td class="nowrap">${readableTime(entry.at)}</td>
      <td>${entry.actor}</td>
      <td><code>${entry.action}</code></td>
      <td>${entry.target ?? ''}</td>
      <td class="wrap"><code>${Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : ''}</code></td>
    </tr>`,
  );
  const older = nextBefore
    ? html`<a href="/console/audit?before=${q(nextBefore)}" id="older">Older</a>`
    : html`<span class="muted">No older entries.</span>`;
  const body = html`<h1>Audit log</h1>
    <table id="audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>On</th><th>Detail</th></tr></thead>\
<tbody>${rows}</tbody></table>
    <div class="pager">${older}</div>`;
  return layout({ title: 'Audit log', page, active: 'audit', body });
}
