import express, { type Express, type RequestHandler } from 'express';
import { adminRouter } from '../admin/admin-controller';
import { consoleRouter } from '../console/console-controller';
import type { Services } from '../services';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { operatorRouter } from '../operator/operator-controller';
import { walletRouter } from '../wallet/wallet-controller';
import { reconciliationRouter } from '../reconciliation/reconciliation-controller';
import { ValidationError } from '../shared/errors';
import { bearerAuth } from './bearer-auth';
import { apiErrorHandler, sendError } from './error-handler';
import { openApiRouter } from './openapi';
import { requestLog } from './request-log';

export interface HttpAppDeps {
  services: Services;
  metrics: Metrics;
  logger: Logger;
  /** Answers /healthz: true once the database is reachable and migrated, false while stopping. */
  isHealthy: () => Promise<boolean>;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const { services, metrics, logger } = deps;
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
  app.use('/wallet', walletRouter({ service: services.wallet, verifier: services.walletVerifier, metrics, logger }));
  app.use('/operator', operatorRouter({ operatorApiKey: services.config.operatorApiKey, launchTokens: services.launchTokens }));
  app.use(
    '/admin',
    bearerAuth(services.config.adminApiKey, 'admin'),
    reconciliationRouter({ reconciliation: services.reconciliation, matching: services.matching }),
    adminRouter({
      accounts: services.accounts,
      balanceOperations: services.balanceOperations,
      ledger: services.ledger,
      managerAuth: services.managerAuth,
    }),
  );
  app.use('/console', consoleRouter({ adminApiKey: services.config.adminApiKey, accounts: services.accounts, ledger: services.ledger, reconciliation: services.reconciliation, matching: services.matching, logger }));
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
