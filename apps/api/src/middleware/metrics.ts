import type { Express, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { UNMATCHED_ROUTE, type Metrics } from '@importer/metrics';

const ROUTE = Symbol('route');
const PATTERN = Symbol('route pattern');
type Tracked = Request & { [ROUTE]?: unknown; [PATTERN]?: string };

/**
 * Each answered request, timed once: `importer_http_request_duration_seconds{method,route,status}`, labelled
 * by the pattern of the route that matched it (`/api/v1/imports/:id`), never by its path, so that ids and
 * unknown paths add no series (a request no route matched is `unmatched`); and its access log line (method,
 * URL, status, milliseconds).
 */
export function answeredRequests(app: Express, metrics: Metrics, logger: Logger): RequestHandler {
  captureRoutePatterns(app);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest({ method: req.method, route: (req as Tracked)[PATTERN] ?? UNMATCHED_ROUTE, status: res.statusCode, seconds });
      logger.info({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}

/**
 * Remembers on each request the full pattern of the last route that matched it. The router sets `req.route`
 * when a route matches, while `req.baseUrl` is still the path its router is mounted on; by the time the answer
 * is sent an error may have left the router, which restores `baseUrl`. So both are read at that moment, by an
 * accessor defined once on the app's request prototype (one defined on each request would give every request
 * a shape of its own, which slows every later read of its properties).
 */
function captureRoutePatterns(app: Express): void {
  Object.defineProperty(app.request, 'route', {
    configurable: true,
    enumerable: true,
    get(this: Tracked) {
      return this[ROUTE];
    },
    set(this: Tracked, value: { path?: RoutePath } | undefined) {
      this[ROUTE] = value;
      if (value?.path === undefined) return;
      const tail = patternOf(value.path);
      this[PATTERN] = `${this.baseUrl}${tail === '/' && this.baseUrl ? '' : tail}`;
    },
  });
}

type RoutePath = string | RegExp | readonly (string | RegExp)[];

const patternOf = (path: RoutePath): string =>
  typeof path === 'string' ? path : path instanceof RegExp ? path.source : path.map(patternOf).join(',');
