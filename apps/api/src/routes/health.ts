import { Router } from 'express';
import type { Logger } from 'pino';
import type { Pool } from '@importer/db';
import type { RedisConnection } from '@importer/queue';
import type { FileStore } from '@importer/storage';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);

/**
 * `/healthz`: the process is up. `/readyz`: PostgreSQL and Redis answer, and the file store can be used
 * (its folder, or with STORAGE_DRIVER=s3 its bucket: HeadBucket). Neither needs auth, so a failed
 * check says only `unavailable` (its reason, which may name hosts and users, goes to the log).
 */
export function healthRouter(deps: { pool: Pool; redis: RedisConnection; fileStore: FileStore; logger: Logger }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const check = async (name: string, work: () => Promise<unknown>) => {
      try {
        await within(2_000, work());
        return 'ok';
      } catch (error) {
        deps.logger.warn({ err: error, check: name }, 'readiness check failed');
        return 'unavailable';
      }
    };
    const [postgres, redis, storage] = await Promise.all([
      check('postgres', () => deps.pool.query('SELECT 1')),
      check('redis', () => deps.redis.ping()),
      check('storage', () => deps.fileStore.check()),
    ]);
    const ready = postgres === 'ok' && redis === 'ok' && storage === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, redis, storage } });
  });
  return router;
}
