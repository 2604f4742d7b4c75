// The match page's script, inlined into that page under its nonce. Plain JavaScript, typed by its
// JSDoc and checked by `tsc -p tsconfig.browser.json` (part of `npm run typecheck` and `npm test`).
/**
 * Posts the chosen file as text/csv with the options in the query; the run is then opened from the
 * history, where its result is rendered on the server like any other run (no markup is built here).
 */
(() => {
  /** The form's options that go into the query as they are typed (trimmed; an empty one is left out). */
  const TEXT_OPTIONS = [
    'side',
    'referenceColumn',
    'amountColumn',
    'currencyColumn',
    'dateColumn',
    'driftMinor',
    'from',
    'to',
    'referenceDelimiter',
  ];
  const form = /** @type {HTMLFormElement} */ (document.getElementById('match-form'));
  const status = /** @type {HTMLElement} */ (document.getElementById('match-status'));
  /** @param {string} name */
  const field = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  /**
   * @param {'error' | 'info'} kind
   * @param {string} text
   */
  const say = (kind, text) => {
    const node = document.createElement('div');
    node.className = 'message ' + kind;
    node.textContent = text;
    status.replaceChildren(node);
  };
  /** The options of the run, as the query of /console/match/run reads them. */
  const query = () => {
    const params = new URLSearchParams();
    TEXT_OPTIONS.forEach((name) => {
      const value = field(name).value.trim();
      if (value) params.set(name, value);
    });
    params.set('sumRepeated', field('sumRepeated').checked ? 'true' : 'false');
    params.set('dryRun', field('dryRun').checked ? 'true' : 'false');
    return params;
  };
  /** @param {File} file */
  const post = async (file) => {
    const csrf = /** @type {HTMLMetaElement} */ (document.querySelector('meta[name="csrf-token"]')).content;
    const response = await fetch('/console/match/run?' + query(), {
      method: 'POST',
      body: await file.text(),
      credentials: 'same-origin',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': csrf },
    });
    if (response.redirected || response.status === 401) {
      window.location.assign('/console/login');
      return;
    }
    const answer = /** @type {{ runId: string, message?: string }} */ (await response.json());
    if (!response.ok) {
      say('error', answer.message || 'Matching failed (' + response.status + ').');
      return;
    }
    window.location.assign('/console/runs/' + encodeURIComponent(answer.runId));
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = field('file').files?.[0];
    if (!file) {
      say('error', 'Choose a CSV file.');
      return;
    }
    const maxBytes = form.dataset.maxBytes;
    if (file.size > Number(maxBytes)) {
      say('error', 'The file is larger than ' + maxBytes + ' bytes.');
      return;
    }
    say('info', 'Matching ' + file.name + '…');
    try {
      await post(file);
    } catch (error) {
      say('error', 'Matching failed: ' + (error instanceof Error ? error.message : String(error)));
    }
  });
})();
