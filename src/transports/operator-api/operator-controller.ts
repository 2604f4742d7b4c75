import { Router } from 'express';
import { z } from 'zod';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import { bearerAuth } from '../http/bearer-auth';
import { sendJson } from '../http/respond';
import { login, parseWith } from '../../shared/validation';
import type { Core } from '../../core/core';

const launchSchema = z.strictObject({ login });

/** The operator's backend API (SPEC 5): launch a user on the platform. */
export function operatorRouter(deps: { core: Pick<Core, 'launchTokens'>; operatorApiKey: string }): Router {
  const router = Router();
  router.use(bearerAuth(deps.operatorApiKey, 'operator'));
  router.post('/launch-tokens', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(launchSchema, req.body);
    const issued = await deps.core.launchTokens.issue(body.login);
    sendJson(res, 201, { token: issued.token, expiresAt: issued.expiresAt.toISOString() });
  });
  return router;
}
