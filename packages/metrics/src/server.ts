import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseScrape } from './access';
import type { Metrics } from './metrics';

export interface MetricsServerOptions {
  /** `WORKER_METRICS_PORT`; 0 picks a free port (`start()` answers the one it got). */
  port: number;
  /** Default: every interface, as the API listens. */
  host?: string;
  /** `METRICS_TOKEN`: when set, a scrape must send `Authorization: Bearer <it>`. */
  token?: string;
  /** Told when rendering the metrics failed (the scrape gets a 500). */
  onError?: (error: unknown) => void;
}

export interface MetricsServer {
  /** Listens; resolves with the port listened on. */
  start(): Promise<number>;
  /** Stops listening and closes its connections. */
  stop(): Promise<void>;
}

/**
 * A process's own `/metrics` endpoint, for processes without an HTTP server of their own (the worker):
 * `GET /metrics` answers the text format; anything else is a 404, in the API's error shape.
 */
export function createMetricsServer(metrics: Metrics, options: MetricsServerOptions): MetricsServer {
  const error = (code: string, message: string) => JSON.stringify({ error: { code, message, details: null } });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(error('not_found', `No route for ${req.method} ${path}`));
      return;
    }
    const refusal = refuseScrape(req.headers.authorization, options.token);
    if (refusal) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(error(refusal.code, refusal.message));
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
      (renderError: unknown) => {
        options.onError?.(renderError);
        res.writeHead(500, { 'content-type': 'application/json' }).end(error('internal_error', 'The metrics could not be collected.'));
      },
    );
  });
  return {
    async start() {
      server.listen(options.port, options.host);
      await once(server, 'listening');
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
