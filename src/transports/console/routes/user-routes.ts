import { Router, type Request, type Response } from 'express';
import type { ConsoleRole } from '../../../core/access/console-roles';
import { AppError, ValidationError } from '../../../shared/errors';
import { HTTP_ERROR_BY_CODE } from '../../http/error-handler';
import { presentAuditEntry, presentUser } from '../../presenters/users';
import { auditPage } from '../views/audit-page';
import { usersPage } from '../views/users-page';
import { allow, csrf } from './guards';
import { actorIn, form, formText, pageOf, queryText, sendPage, sessionOf, type ConsoleDeps } from './kit';

/** Audit entries per console page. */
const AUDIT_PAGE_SIZE = 50;
const USERS_PAGE = '/console/users';

/** Console users (manage-users: create, change a role, disable or enable, end sessions) and the audit log. */
export function userRouter(deps: ConsoleDeps): Router {
  const router = Router();
  router.get('/audit', allow('audit'), async (req, res) => {
    const before = queryText(req, 'before');
    if (before !== '' && !/^\d{1,19}$/.test(before)) throw new ValidationError('before must be an audit entry id');
    const page = await deps.core.audit.page(AUDIT_PAGE_SIZE, before === '' ? undefined : BigInt(before));
    sendPage(
      res,
      200,
      auditPage(pageOf(res), { entries: page.entries.map(presentAuditEntry), nextBefore: page.nextBefore }),
    );
  });
  router.get('/users', allow('manage-users'), async (_req, res) => {
    sendPage(res, 200, usersPage(pageOf(res), { users: await listUsers(deps) }));
  });
  router.post('/users', allow('manage-users'), form, csrf, (req, res) => createUser(deps, req, res));
  router.post('/users/:username/:action', allow('manage-users'), form, csrf, (req, res) => userAction(deps, req, res));
  return router;
}

async function listUsers(deps: ConsoleDeps) {
  return (await deps.core.consoleAccess.listUsers()).map(presentUser);
}

/** A new user; a refusal (a taken name, a short password) is the users page again, saying why. */
async function createUser(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const user = {
    username: formText(req, 'username').trim(),
    password: formText(req, 'password'),
    role: formText(req, 'role') as ConsoleRole,
  };
  try {
    await deps.core.consoleAccess.createUser(user, actorIn(res));
  } catch (error) {
    if (!(error instanceof AppError) || HTTP_ERROR_BY_CODE[error.code].status >= 500) throw error;
    const notice = { kind: 'error', text: error.message } as const;
    sendPage(
      res,
      HTTP_ERROR_BY_CODE[error.code].status,
      usersPage(pageOf(res), { users: await listUsers(deps), notice }),
    );
    return;
  }
  res.redirect(303, USERS_PAGE);
}

/** One action on one user; none on oneself but ending one's sessions (another admin can). */
async function userAction(deps: ConsoleDeps, req: Request, res: Response): Promise<void> {
  const username = String(req.params.username);
  const actor = actorIn(res);
  const oneself = username === sessionOf(res).user.username;
  const action = req.params.action;
  switch (action) {
    case 'role':
      if (oneself) throw new ValidationError('you cannot change your own role (another admin can)');
      await deps.core.consoleAccess.updateUser(username, { role: formText(req, 'role') as ConsoleRole }, actor);
      break;
    case 'disable':
    case 'enable':
      if (oneself) throw new ValidationError('you cannot disable yourself');
      await deps.core.consoleAccess.updateUser(username, { disabled: action === 'disable' }, actor);
      break;
    case 'end-sessions':
      await deps.core.consoleAccess.revokeSessions(username, actor);
      break;
    default:
      throw new ValidationError('no such action');
  }
  res.redirect(303, USERS_PAGE);
}
