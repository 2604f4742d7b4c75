import type { RequestListener } from 'node:http';
import express, { type RequestHandler } from 'express';
import { ADMIN_API, adminRouter } from '../transports/admin-api/admin-controller';
import type { Config } from '../config';
import { consoleRouter } from '../transports/console/console-controller';
import type { Core } from '../core/core';
import { bearerAuth } from '../transports/http/bearer-auth';
import { apiErrorHandler, sendError } from '../transports/http/error-handler';
import type { ApiDescription } from '../transports/http/api-description';
import { openApiDocument, openApiRouter } from '../transports/http/openapi';
import { ASYNCAPI_DOCUMENT } from '../transports/manager-api/asyncapi';
import { requestLog } from '../transports/http/request-log';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { OPERATOR_API, operatorRouter } from '../transports/operator-api/operator-controller';
import { RECONCILIATION_API } from '../transports/admin-api/reconciliation-api';
import { reconciliationRouter } from '../transports/admin-api/reconciliation-controller';
import { DASHBOARD_API, dashboardRouter } from '../transports/admin-api/dashboard-controller';
import { USERS_API, usersRouter } from '../transports/admin-api/users-controller';
import { ValidationError } from '../shared/errors';
import { WALLET_API, walletRequestHandler } from '../transports/wallet-api/wallet-controller';
import { WalletSignatureVerifier } from '../transports/wallet-api/wallet-signature';

export interface HttpAppDeps {
  core: Core;
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Answers /healthz: true once the database is reachable and migrated, false while stopping. */
  isHealthy: () => Promise<boolean>;
}

/** The service's own endpoints in the OpenAPI document. */
const SERVICE_API: ApiDescription = {
  tags: [{ name: 'service', description: 'Operations: readiness and metrics.' }],
  operations: [
    {
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Readiness: the database answers and the instance is not stopping',
      tag: 'service',
      responses: {
        '200': { description: 'accepting requests', json: { type: 'object', properties: { status: { const: 'ok' } } } },
        '503': {
          description: 'not ready, or stopping',
          json: { type: 'object', properties: { status: { const: 'unavailable' } } },
        },
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'service',
      responses: {
        '200': { description: 'the metrics' },
      },
    },
  ],
};

/** The OpenAPI document of every HTTP transport, from their own descriptions. */
export const API_DOCUMENT = openApiDocument([
  WALLET_API,
  OPERATOR_API,
  ADMIN_API,
  RECONCILIATION_API,
  DASHBOARD_API,
  USERS_API,
  SERVICE_API,
]);

/**
 * Every HTTP transport, each a thin room over the core's front door: the wallet API (the platform's
 * hot path) as a plain node:http handler, everything else on one Express app.
 */
export function createHttpApp(deps: HttpAppDeps): RequestListener {
  const { core, config, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // behind a TLS proxy: req.ip and req.secure (the console cookie's Secure flag) from its headers
  app.set('trust proxy', config.trustProxy);

  app.use(requestLog(logger, metrics));
  app.use(decodablePath);

  app.get('/healthz', async (_req, res) => {
    const healthy = await deps.isHealthy().catch(() => false);
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unavailable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(openApiRouter(API_DOCUMENT));
  app.get('/asyncapi.json', (_req, res) => {
    res.json(ASYNCAPI_DOCUMENT);
  });
  app.use('/operator', operatorRouter({ core, operatorApiKey: config.operatorApiKey }));
  app.use(
    '/admin',
    bearerAuth(config.adminApiKey, 'admin', core.authThrottle),
    reconciliationRouter(core),
    dashboardRouter(core),
    usersRouter(core),
    adminRouter(core),
  );
  app.use('/console', consoleRouter({ core }));
  app.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such endpoint'));
  app.use(apiErrorHandler());
  const verifier = new WalletSignatureVerifier(config.walletSecrets, config.walletSignatureMode);
  const wallet = walletRequestHandler({ core, verifier, metrics, logger });
  return (req, res) => {
    if (!wallet(req, res)) app(req, res);
  };
}

/**
 * Refuses a path that is not valid percent-encoding (`/admin/accounts/%zz`) before routing: the
 * router would fail on decoding its parameters with a bare URIError, answered 500.
 */
const decodablePath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    next(new ValidationError('the path is not valid percent-encoding'));
    return;
  }
  next();
};
