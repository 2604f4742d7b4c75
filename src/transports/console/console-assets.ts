import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The console's own files (assets/): the stylesheet and the pages' scripts, beside this module in
 * src/ (`npm start`) and in dist/, where `npm run build` copies them (tools/copy-build-assets.mjs).
 * The browser gets them under the console's strict CSP, which allows a script or a style only when
 * it carries the page's nonce: the stylesheet and Chart.js are files the page links with the nonce,
 * and a page's own script is inlined with it.
 */
const ASSETS_DIR = path.join(__dirname, 'assets');

/** Where the console serves a file, within the console (`consoleHref` gives the link a page writes). */
export const STYLESHEET_ROUTE = '/assets/console.css';
/** Chart.js's UMD build (the dashboard's charts). */
export const CHART_LIBRARY_ROUTE = '/assets/chart.umd.min.js';

export const STYLESHEET_FILE = path.join(ASSETS_DIR, 'console.css');
/**
 * Chart.js's UMD build (next to the CommonJS entry its package exports), served by the console
 * itself: the console works offline, and its CSP allows only scripts carrying the page's nonce.
 */
export const CHART_LIBRARY_FILE = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/** A console route as a page links it (the console is mounted under /console). */
export function consoleHref(route: string): string {
  return `/console${route}`;
}

/** The pages that carry a script of their own, by the name of its file in assets/. */
export type PageScript = 'match' | 'dashboard';

/**
 * A page's script, read once when the console loads: a build that lost the file fails at start,
 * not at the first page; one that could end the <script> element it is inlined in is refused.
 */
function readPageScript(name: PageScript): string {
  const text = readFileSync(path.join(ASSETS_DIR, `${name}.js`), 'utf8');
  if (/<\/script/i.test(text)) throw new Error(`assets/${name}.js must not contain "</script"`);
  return text;
}

const PAGE_SCRIPTS: Readonly<Record<PageScript, string>> = {
  match: readPageScript('match'),
  dashboard: readPageScript('dashboard'),
};

export function pageScript(name: PageScript): string {
  return PAGE_SCRIPTS[name];
}
