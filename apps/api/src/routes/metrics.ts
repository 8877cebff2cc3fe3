import { Router } from 'express';
import { refuseScrape, type Metrics } from '@importer/metrics';
import { HttpError } from '../errors';

/**
 * `GET /metrics` (README, "Metrics"): Prometheus' text format, outside `/api/v1` and without session or API
 * token; when `METRICS_TOKEN` is set, it must come as `Authorization: Bearer <it>`.
 */
export function metricsRouter(deps: { metrics: Metrics; token?: string }): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const refusal = refuseScrape(req.get('authorization'), deps.token);
    if (refusal) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, refusal.code, refusal.message);
    }
    const { contentType, body } = await deps.metrics.render();
    res.set('Content-Type', contentType).send(body);
  });
  return router;
}
