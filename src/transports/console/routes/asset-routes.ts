import { Router } from 'express';
import { CHART_LIBRARY_FILE, CHART_LIBRARY_ROUTE, STYLESHEET_FILE, STYLESHEET_ROUTE } from '../console-assets';

/**
 * The console's files (console-assets.ts), each on a route of its own (a bounded route label). The
 * stylesheet is served to anyone, before the session gate: the sign-in page wears it.
 */
export function stylesheetRouter(): Router {
  return Router().get(STYLESHEET_ROUTE, (_req, res) => res.sendFile(STYLESHEET_FILE));
}

/** Chart.js, past the session gate: only the dashboard loads it. */
export function chartLibraryRouter(): Router {
  return Router().get(CHART_LIBRARY_ROUTE, (_req, res) => res.sendFile(CHART_LIBRARY_FILE));
}
