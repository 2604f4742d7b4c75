// The dashboard's script, inlined into that page under its nonce after Chart.js (which the console
// serves at /console/assets/chart.umd.min.js). Plain JavaScript, typed by its JSDoc and checked by
// `tsc -p tsconfig.browser.json` (part of `npm run typecheck` and `npm test`).
/**
 * Draws each currency's charts from its tables (oldest day first). A chart plots floating point,
 * which is exact enough for a bar's height: the exact figures are the tables' text.
 */
(() => {
  /** Chart.js's UMD build, loaded before this script, leaves its class on the window. */
  const { Chart } = /** @type {typeof window & { Chart: typeof import('chart.js').Chart }} */ (window);
  const GAIN = '#1f7a3f';
  const LOSS = '#b42318';
  const RESULT = '#0b6bcb';
  /** @typedef {{ day: string, value: number }} Point */
  /**
   * One figure of a table, per day, oldest first (the tables list the newest first).
   * @param {Element} section
   * @param {string} source
   * @param {string} figure
   * @returns {Point[]}
   */
  const series = (section, source, figure) =>
    [...section.querySelectorAll(`table[data-chart-source="${source}"] tbody tr`)].reverse().map((row) => {
      const cell = /** @type {HTMLElement} */ (row.querySelector(`[data-figure="${figure}"]`));
      return { day: /** @type {HTMLElement} */ (row).dataset.day ?? '', value: Number(cell.dataset.value) };
    });
  /**
   * @param {string} currency
   * @returns {import('chart.js').ChartOptions<'bar'>}
   */
  const options = (currency) => ({
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom' } },
    scales: { y: { title: { display: true, text: currency } } },
  });
  /**
   * @param {Element} section
   * @param {string} selector
   */
  const canvas = (section, selector) => /** @type {HTMLCanvasElement} */ (section.querySelector(selector));
  /** @param {HTMLElement} section */
  const drawCurrency = (section) => {
    const currency = section.dataset.currency ?? '';
    const deposits = series(section, 'flows', 'deposits');
    const withdrawals = series(section, 'flows', 'withdrawals');
    const result = series(section, 'trading', 'houseResult');
    new Chart(canvas(section, 'canvas.flows-chart'), {
      type: 'bar',
      data: {
        labels: deposits.map((point) => point.day),
        datasets: [
          { label: 'Deposits', data: deposits.map((point) => point.value), backgroundColor: GAIN },
          { label: 'Withdrawals', data: withdrawals.map((point) => point.value), backgroundColor: LOSS },
        ],
      },
      options: options(currency),
    });
    new Chart(canvas(section, 'canvas.result-chart'), {
      type: 'bar',
      data: {
        labels: result.map((point) => point.day),
        datasets: [
          {
            label: 'House result',
            data: result.map((point) => point.value),
            backgroundColor: result.map((point) => (point.value < 0 ? LOSS : RESULT)),
          },
        ],
      },
      options: options(currency),
    });
  };
  document
    .querySelectorAll('section[data-currency]')
    .forEach((section) => drawCurrency(/** @type {HTMLElement} */ (section)));
})();
