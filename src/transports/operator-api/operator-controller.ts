import { Router } from 'express';
import { z } from 'zod';
import { API_BODY_BYTES_MAX, jsonObjectBody } from '../http/body';
import type { ApiDescription } from '../http/api-description';
import { bearerAuth } from '../http/bearer-auth';
import { sendJson } from '../http/respond';
import { login, parseWith } from '../../shared/validation';
import type { Core } from '../../core/core';

const launchSchema = z.strictObject({ login });

/** The operator API in the OpenAPI document, from the schema that validates its request. */
export const OPERATOR_API: ApiDescription = {
  tags: [
    {
      name: 'operator',
      description:
        "The operator's backend: launches a user on the trading platform (docs/wallet-api.md#launch-tokens).",
    },
  ],
  operations: [
    {
      method: 'post',
      path: '/operator/launch-tokens',
      operationId: 'createLaunchToken',
      summary: 'Create a single-use launch token, valid 5 minutes',
      tag: 'operator',
      security: 'operatorKey',
      body: launchSchema,
      responses: {
        '201': {
          description: 'created',
          json: {
            type: 'object',
            required: ['token', 'expiresAt'],
            properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
        },
        '400': { description: 'invalid request', json: 'Error' },
        '403': { description: 'the account is disabled', json: 'Error' },
        '404': { description: 'unknown account', json: 'Error' },
      },
    },
  ],
};

/** The operator's backend API (docs/wallet-api.md#launch-tokens): launch a user on the platform. */
export function operatorRouter(deps: {
  core: Pick<Core, 'launchTokens' | 'authThrottle'>;
  operatorApiKey: string;
}): Router {
  const router = Router();
  router.use(bearerAuth(deps.operatorApiKey, 'operator', deps.core.authThrottle));
  router.post('/launch-tokens', jsonObjectBody(API_BODY_BYTES_MAX), async (req, res) => {
    const body = parseWith(launchSchema, req.body);
    const issued = await deps.core.launchTokens.issue(body.login);
    sendJson(res, 201, { token: issued.token, expiresAt: issued.expiresAt.toISOString() });
  });
  return router;
}
