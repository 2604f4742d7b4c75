import { Router, type Request, type Response } from 'express';
import { ForbiddenError, TooManyAttemptsError, UnauthenticatedError } from '../../../shared/errors';
import { clientAddress } from '../../http/bearer-auth';
import { clearSessionCookie, sameOriginPost, sessionCookieOf, setSessionCookie } from '../console-session';
import { loginPage } from '../views/login-page';
import { csrf, liveSession } from './guards';
import { form, formText, LANDING_PAGE, pageOf, sendPage, sessionOf, type ConsoleDeps } from './kit';

/** Longest username and password the login form reads, in characters. */
const USERNAME_LENGTH_MAX = 64;
const PASSWORD_LENGTH_MAX = 256;

/**
 * Signing in: a login opens a server-side session (a random cookie token; the session lives in
 * PostgreSQL, so every instance knows it and logout ends it everywhere). Served before the session gate.
 */
export function signInRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/login', async (req, res) => {
    if (await liveSession(deps, req)) {
      res.redirect(303, LANDING_PAGE);
      return;
    }
    sendPage(res, 200, loginPage(pageOf(res)));
  });
  router.post('/login', form, (req, res) => signIn(deps, req, res));
  return router;
}

async function signIn(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  if (!sameOriginPost(req)) throw new ForbiddenError('a sign-in must come from the console itself');
  const username = formText(req, 'username').trim().slice(0, USERNAME_LENGTH_MAX);
  const password = formText(req, 'password').slice(0, PASSWORD_LENGTH_MAX);
  try {
    const { token } = await deps.core.consoleAccess.login(username, password, clientAddress(req));
    setSessionCookie(req, res, token);
    res.redirect(303, LANDING_PAGE);
  } catch (error) {
    if (error instanceof TooManyAttemptsError) {
      const retryAfterS = Number(error.details.retryAfterS ?? 60);
      res.setHeader('Retry-After', String(retryAfterS));
      const text = `Too many failed sign-ins. Try again in ${Math.ceil(retryAfterS / 60)} minute(s).`;
      sendPage(res, 429, loginPage(pageOf(res), { username, error: text }));
    } else if (error instanceof UnauthenticatedError) {
      sendPage(res, 401, loginPage(pageOf(res), { username, error: 'Wrong username or password.' }));
    } else throw error;
  }
}

/** Past the session gate: signing out, and the console's root. */
export function sessionRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.post('/logout', form, csrf, async (req, res) => {
    await deps.core.consoleAccess.logout(sessionCookieOf(req)!, sessionOf(res));
    clearSessionCookie(req, res);
    res.redirect(303, '/console/login');
  });
  router.get('/', (_req, res) => res.redirect(303, LANDING_PAGE));
  return router;
}
