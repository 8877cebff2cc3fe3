import type { Request, RequestHandler } from 'express';
import { UNMATCHED_ROUTE, type Metrics } from '@importer/metrics';

/**
 * `importer_http_request_duration_seconds{method,route,status}`: each answered request, labelled by the
 * pattern of the route that matched it (`/api/v1/imports/:id`), never by its path, so that ids and unknown
 * paths add no series; a request no route matched is `unmatched`.
 */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const route = matchedRoute(req);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest({ method: req.method, route: route() ?? UNMATCHED_ROUTE, status: res.statusCode, seconds });
    });
    next();
  };
}

/**
 * The full pattern of the last route that matched the request. The router sets `req.route` when a route
 * matches, while `req.baseUrl` is still the path its router is mounted on; by the time the answer is sent
 * an error may have left the router, which restores `baseUrl`. So both are read at that moment.
 */
function matchedRoute(req: Request): () => string | undefined {
  let route: unknown;
  let pattern: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: RoutePath } | undefined) => {
      route = value;
      if (value?.path === undefined) return;
      const tail = patternOf(value.path);
      pattern = `${req.baseUrl}${tail === '/' && req.baseUrl ? '' : tail}`;
    },
  });
  return () => pattern;
}

type RoutePath = string | RegExp | readonly (string | RegExp)[];

const patternOf = (path: RoutePath): string =>
  typeof path === 'string' ? path : path instanceof RegExp ? path.source : path.map(patternOf).join(',');
