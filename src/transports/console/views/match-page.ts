import { html, type SafeHtml } from './html';
import { layout, type PageContext } from './layout';

/** The upload form: what it may send. */
export interface MatchPageModel {
  /** The largest file the console accepts, in bytes (the script refuses a larger one before sending it). */
  uploadBytesMax: number;
}

/** The column fields of the form, which the script sends in the run's query by name. */
function columnFields(): SafeHtml {
  const column = (label: string, name: string, value: string) =>
    html`<label>${label} <input type="text" name="${name}" value="${value}" maxlength="100" required></label>`;
  return html`${column('Reference column', 'referenceColumn', 'reference')}
        ${column('Amount column', 'amountColumn', 'amount')}
        ${column('Currency column', 'currencyColumn', 'currency')}
        ${column('Date column', 'dateColumn', 'date')}`;
}

function matchForm(uploadBytesMax: number): SafeHtml {
  const side = html`<select name="side">\
<option value="finance-records">Finance records (deposits, withdrawals)</option>\
<option value="trades">Trades</option></select>`;
  const delimiter = html`<input type="text" name="referenceDelimiter" id="reference-delimiter" maxlength="5" \
placeholder="e.g. ;">`;
  return html`<form class="inline" id="match-form" data-max-bytes="${uploadBytesMax}">
        <label>CSV file <input type="file" name="file" id="match-file" accept=".csv,text/csv" required></label>
        <label>Ledger side ${side}</label>
        ${columnFields()}
        <label>Allowed drift (minor units) <input type="number" name="driftMinor" value="0" min="0" step="1"></label>
        <label>From (UTC day, optional) <input type="date" name="from"></label>
        <label>To (UTC day, included, optional) <input type="date" name="to"></label>
        <label>One to many: references separated by ${delimiter}</label>
        <label class="check"><input type="checkbox" name="sumRepeated" id="sum-repeated"> \
Many to one: add up rows that repeat a reference</label>
        <label class="check"><input type="checkbox" name="dryRun" checked> Dry run</label>
        <button type="submit" class="primary" id="run-match">Match</button>
      </form>`;
}

export function matchPage(page: PageContext, { uploadBytesMax }: MatchPageModel): string {
  const body = html`<h1>Match external records</h1>
    <section class="card">
      <p class="muted">Upload a CSV from a payment provider or the trading platform. Its rows are matched against the \
ledger by reference and amount. A dry run (the default) changes nothing; every run, dry or not, is kept in the \
<a href="/console/runs">history</a>, where its result opens.</p>
      ${matchForm(uploadBytesMax)}
      <p class="muted">One to many: a row whose reference lists several ledger references (<code>dep-1;dep-2</code>) \
matches their sum, as one provider payout for several deposits. Many to one: rows repeating a reference match that one \
ledger record by their sum. Otherwise a row matches the ledger record of its reference, amount for amount (within the \
drift).</p>
    </section>
    <div id="match-status" role="status"></div>`;
  return layout({ title: 'Match', page, active: 'match', body, script: 'match' });
}
