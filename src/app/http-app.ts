import express, { type Express, type RequestHandler } from 'express';
import { adminRouter } from '../transports/admin-api/admin-controller';
import type { Config } from '../config';
import { consoleRouter } from '../transports/console/console-controller';
import type { Core } from '../core/core';
import { bearerAuth } from '../transports/http/bearer-auth';
import { apiErrorHandler, sendError } from '../transports/http/error-handler';
import { openApiRouter } from '../transports/http/openapi';
import { requestLog } from '../transports/http/request-log';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { operatorRouter } from '../transports/operator-api/operator-controller';
import { reconciliationRouter } from '../transports/admin-api/reconciliation-controller';
import { ValidationError } from '../shared/errors';
import { walletRouter } from '../transports/wallet-api/wallet-controller';
import { WalletSignatureVerifier } from '../transports/wallet-api/wallet-signature';

export interface HttpAppDeps {
  core: Core;
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Answers /healthz: true once the database is reachable and migrated, false while stopping. */
  isHealthy: () => Promise<boolean>;
}

/** Every HTTP transport on one Express app, each a thin room over the core's front door. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const { core, config, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(logger, metrics));
  app.use(decodablePath);

  app.get('/healthz', async (_req, res) => {
    const healthy = await deps.isHealthy().catch(() => false);
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'unavailable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(openApiRouter());
  const verifier = new WalletSignatureVerifier(config.walletSecrets, config.walletSignatureMode);
  app.use('/wallet', walletRouter({ core, verifier, metrics, logger }));
  app.use('/operator', operatorRouter({ core, operatorApiKey: config.operatorApiKey }));
  app.use('/admin', bearerAuth(config.adminApiKey, 'admin'), reconciliationRouter(core), adminRouter(core));
  app.use('/console', consoleRouter({ core, adminApiKey: config.adminApiKey, logger }));
  app.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such endpoint'));
  app.use(apiErrorHandler(logger));
  return app;
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
