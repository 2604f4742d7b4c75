import type { Request } from 'express';
import type { LedgerFilter } from '../../../core/ledger/ledger-store';
import { readPeriod } from '../../../core/reconciliation/period';
import type { LedgerFilterForm } from '../views/account-page';
import { queryText } from './kit';

/** The account page's ledger filter: what its form and its export link carry. */

/** The ledger filter's fields as the form sent them ('' when absent). */
export function ledgerFilterForm(req: Request): LedgerFilterForm {
  return {
    operation: queryText(req, 'operation'),
    from: queryText(req, 'from'),
    to: queryText(req, 'to'),
    reference: queryText(req, 'reference').trim(),
  };
}

/** The core's filter of a ledger filter form: UTC days, `to` included, as every period of the console. */
export function ledgerFilter(form: LedgerFilterForm): LedgerFilter {
  const period = form.from || form.to ? readPeriod(form.from || undefined, form.to || undefined, 'all') : undefined;
  return {
    ...(form.operation ? { operation: form.operation } : {}),
    ...(period ? { from: period.from, to: period.to } : {}),
    ...(form.reference ? { reference: form.reference } : {}),
  };
}
