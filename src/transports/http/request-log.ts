import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * Per request: an id (the client's X-Request-Id when it is sane, a fresh UUID otherwise, echoed in
 * the answer), the latency and count metrics, and one access-log line when it finishes. Successful
 * requests log at debug, refusals at info, failures at error. Cheaper than a child logger per
 * request, which the wallet's hot path measurably paid for.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    trackRequest(logger, metrics, req, res, () => routeLabel(req));
    next();
  };
}

/**
 * The same for a request served without Express (the wallet API): `route` names its bounded route
 * label once the answer is finished.
 */
export function trackRequest(logger: Logger, metrics: Metrics, req: IncomingMessage, res: ServerResponse, route: () => string): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  const startedAt = process.hrtime.bigint();
  // the path before any router rewrites req.url, without its query string
  const path = (req.url ?? '').split('?', 1)[0];
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const labels = { route: route(), method: req.method ?? '' };
    metrics.httpDuration.observe(labels, seconds);
    metrics.httpRequests.inc({ ...labels, status_code: String(res.statusCode) });
    const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) {
      logger[level]({ requestId: id, method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    }
  });
}

/** The matched route pattern (bounded label cardinality), or "unmatched". */
function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl}${route}` : 'unmatched';
}
