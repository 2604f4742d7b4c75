import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/** The failure behind a response, kept until its one access-log line is written. */
const failures = new WeakMap<ServerResponse, unknown>();

/**
 * Says why a request failed (an unexpected error, answered 500, or a response cut short): its one
 * access-log line carries it as `err`, instead of a second line of its own.
 */
export function noteRequestFailure(res: ServerResponse, error: unknown): void {
  failures.set(res, error);
}

/**
 * Per request: an id (the client's X-Request-Id when it is sane, a fresh UUID otherwise, echoed in
 * the answer), the latency and count metrics, and one access-log line when it ends: method, route
 * (the bounded pattern), path, status, durationMs and requestId, at info, or at error for a 5xx
 * answer (with the failure noted by noteRequestFailure), or at warn for a response that never
 * finished (the connection closed first: `aborted`). Cheaper than a child logger per request, which
 * the wallet's hot path measurably paid for.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const matched = watchRoute(req);
    trackRequest(logger, metrics, req, res, () => matched.label ?? 'unmatched');
    next();
  };
}

/**
 * The matched route pattern (bounded label cardinality) with its router's mount path, taken when
 * the router matches it: once a handler's error leaves a router, Express gives `req.baseUrl` back
 * to the app (''), and a label read when the answer finishes would name `/accounts/:login` for an
 * admin refusal and `/admin/accounts/:login` for its success.
 */
function watchRoute(req: Request): { label: string | undefined } {
  const matched: { label: string | undefined } = { label: undefined };
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: unknown } | undefined) => {
      route = value;
      if (typeof value?.path === 'string') matched.label = `${req.baseUrl}${value.path}`;
    },
  });
  return matched;
}

/**
 * The same for a request served without Express (the wallet API): `route` names its bounded route
 * label once the answer is finished.
 */
export function trackRequest(
  logger: Logger,
  metrics: Metrics,
  req: IncomingMessage,
  res: ServerResponse,
  route: () => string,
): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  const startedAt = process.hrtime.bigint();
  // the path before any router rewrites req.url, without its query string
  const path = (req.url ?? '').split('?', 1)[0];
  const line = (seconds: number, routeName: string) => {
    const err = failures.get(res);
    return {
      requestId: id,
      method: req.method,
      route: routeName,
      path,
      status: res.statusCode,
      durationMs: Math.round(seconds * 1000),
      ...(err === undefined ? {} : { err }),
    };
  };
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const labels = { route: route(), method: req.method ?? '' };
    metrics.httpDuration.observe(labels, seconds);
    metrics.httpRequests.inc({ ...labels, status_code: String(res.statusCode) });
    const level = res.statusCode >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) logger[level](line(seconds, labels.route), 'request');
  });
  // a response that never finished (the client left, or a streamed answer failed midway) ends here
  res.once('close', () => {
    if (res.writableFinished) return;
    if (logger.isLevelEnabled('warn'))
      logger.warn({ ...line(Number(process.hrtime.bigint() - startedAt) / 1e9, route()), aborted: true }, 'request');
  });
}
