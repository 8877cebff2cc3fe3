import { Router } from 'express';
import type { ImportStats } from '@importer/contracts';
import { importStats, type Queryable } from '@importer/db';

/**
 * `GET /stats`: the dashboard figures, from one aggregate query shared by every caller for `cacheMs`
 * (concurrent requests while it runs share it too).
 */
export function statsRouter(deps: { pool: Queryable; cacheMs?: number }): Router {
  const cacheMs = deps.cacheMs ?? 5_000;
  let cached: { at: number; stats: Promise<ImportStats> } | null = null;
  const router = Router();
  router.get('/', async (_req, res) => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const stats = importStats(deps.pool);
      cached = { at: Date.now(), stats };
      stats.catch(() => {
        if (cached?.stats === stats) cached = null;
      });
    }
    res.set('Cache-Control', `private, max-age=${Math.floor(cacheMs / 1000)}`);
    res.json(await cached.stats);
  });
  return router;
}
