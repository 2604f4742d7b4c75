import type { PresentedEntryOfAccount } from '../../presenters/ledger';
import { money, readableTime } from './fragments';
import { html, q } from './html';
import { layout, type PageContext } from './layout';

/** One journal entry and its postings (where a discrepancy's entry ids and a ledger line lead). */
export type EntryPageModel = PresentedEntryOfAccount;

export function entryPage(page: PageContext, entry: EntryPageModel): string {
  const login = String(entry.login);
  const amount = (value: string) => money(value, entry.currency);
  const postings = entry.postings.map(
    (posting) => html`<tr><td>${posting.book}</td><td class="num">${amount(posting.amount)}</td></tr>`,
  );
  const body = html`<h1>Journal entry ${String(entry.id)}</h1>
    <section class="card">
      <dl class="facts" id="entry">
        <dt>Account</dt><dd><a href="/console/accounts/${q(login)}">${login}</a> (version ${String(entry.version)})</dd>
        <dt>Booked (UTC)</dt><dd>${readableTime(entry.createdAt)}</dd>
        <dt>Operation</dt><dd>${entry.operation}</dd>
        <dt>Order</dt><dd>${String(entry.order)}</dd>
        <dt>Balance change</dt><dd>${amount(entry.balanceChange)}, after: ${amount(entry.balanceAfter)}</dd>
        <dt>Credit change</dt><dd>${amount(entry.creditChange)}, after: ${amount(entry.creditAfter)}</dd>
        <dt>Held change</dt><dd>${amount(entry.heldChange)}, after: ${amount(entry.heldAfter)}</dd>
        <dt>Actor</dt><dd>${entry.actorKind}: ${entry.actor}</dd>
        <dt>Reference</dt><dd>${entry.referenceId ?? '—'}</dd>
        <dt>Comment</dt><dd>${entry.comment ?? '—'}</dd>
      </dl>
    </section>
    <h2>Postings <span class="muted">(they sum to zero)</span></h2>
    <table id="postings"><thead><tr><th>Book</th><th class="num">Amount</th></tr></thead>\
<tbody>${postings}</tbody></table>`;
  return layout({ title: `Entry ${String(entry.id)}`, page, active: 'accounts', body });
}
