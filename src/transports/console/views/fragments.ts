import { formatMinorUnits } from '../../../core/money/amount';
import { findCurrency } from '../../../core/money/currency';
import type { Listing } from '../../../core/reconciliation/reconciliation-service';
import { html, SafeHtml } from './html';

/** Pieces that several pages show the same way: amounts, times, counts, selects. */

/** An amount in currency units with its currency: `12.50 USD` (it may wrap before the code, never inside the
 * number). */
export function money(amount: string, currency: string): SafeHtml {
  return html`<span class="n">${amount}</span> <span class="ccy">${currency}</span>`;
}

/**
 * Minor units as text (a report's field) in the currency's units; text that is no amount (`>= 0`,
 * `missing`) as it is.
 */
export function minorMoney(minor: string | null | undefined, currency: string | null | undefined): SafeHtml | string {
  if (minor === null || minor === undefined) return '—';
  const known = currency ? findCurrency(currency) : undefined;
  if (!known || !/^-?\d{1,20}$/.test(minor)) return minor;
  return money(formatMinorUnits(BigInt(minor), known.scale), known.code);
}

/** `2026-12-01 23:47:29` (UTC) from an ISO time: what a person reads, sortable as text. */
export function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** `<option>`s of a select, the current one selected. */
export function options(values: ReadonlyArray<readonly [string, string]>, current: string): SafeHtml[] {
  return values.map(
    ([value, label]) =>
      html`<option value="${value}" ${value === current ? new SafeHtml('selected') : ''}>${label}</option>`,
  );
}

/** An account's status as a badge. */
export function statusBadge(status: 'active' | 'disabled'): SafeHtml {
  return html`<span class="badge ${status === 'active' ? 'ok' : 'bad'}">${status}</span>`;
}

export function countBadge(listing: Listing<unknown>, kind: 'bad' | 'warn'): SafeHtml {
  return html`<span class="badge ${listing.count === 0 ? 'ok' : kind}">${listing.count}</span>`;
}

export function truncationNote(listing: Listing<unknown>): SafeHtml {
  return listing.truncated
    ? html`<p class="muted">Showing the first ${listing.items.length} of ${listing.count}.</p>`
    : html``;
}
