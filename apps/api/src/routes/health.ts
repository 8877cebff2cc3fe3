import { Router } from 'express';
import type { Pool } from '@importer/db';
import type { Redis } from 'ioredis';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);

/** `/healthz`: the process is up. `/readyz`: PostgreSQL and Redis answer. Neither needs auth. */
export function healthRouter(deps: { pool: Pool; redis: Redis }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const check = async (work: () => Promise<unknown>) => {
      try {
        await within(2_000, work());
        return 'ok';
      } catch (error) {
        return `unavailable: ${(error as Error).message}`;
      }
    };
    const [postgres, redis] = await Promise.all([check(() => deps.pool.query('SELECT 1')), check(() => deps.redis.ping())]);
    const ready = postgres === 'ok' && redis === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, redis } });
  });
  return router;
}
