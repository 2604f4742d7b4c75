import { Router } from 'express';
import { accountRouter } from './routes/account-routes';
import { chartLibraryRouter, stylesheetRouter } from './routes/asset-routes';
import { dashboardRouter } from './routes/dashboard-routes';
import { downloadRouter } from './routes/download-routes';
import { consoleErrorHandler, notFound } from './routes/errors';
import { requireSession, securityHeaders } from './routes/guards';
import type { ConsoleDeps } from './routes/kit';
import { reconciliationRouter } from './routes/reconciliation-routes';
import { sessionRouter, signInRouter } from './routes/sign-in-routes';
import { userRouter } from './routes/user-routes';

export type { ConsoleDeps } from './routes/kit';

/**
 * The finance team's web console (mounted under /console): server-rendered pages (views/) over the
 * same services as the admin API, for console users with a role (viewer, finance, admin). A login
 * opens a server-side session (a random cookie token; the session lives in PostgreSQL, so every
 * instance knows it and logout ends it everywhere); every POST carries the session's CSRF token;
 * each page and action checks the role; what produces or changes something is written to the audit
 * log. Each area's routes are a router of their own (routes/); this one puts them in order.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.use(securityHeaders);
  // before the session gate: the sign-in page and the stylesheet it wears
  router.use(stylesheetRouter());
  router.use(signInRouter(deps));
  // from here on, a live session (revoked, idle, expired or of a disabled user: sign in again)
  router.use(requireSession(deps));
  router.use(sessionRouter(deps));
  router.use(chartLibraryRouter());
  router.use(dashboardRouter(deps));
  router.use(accountRouter(deps));
  router.use(downloadRouter(deps));
  router.use(reconciliationRouter(deps));
  router.use(userRouter(deps));
  router.use(notFound);
  router.use(consoleErrorHandler());
  return router;
}
