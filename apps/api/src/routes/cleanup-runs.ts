import { Router } from 'express';
import { cleanupRunsQuerySchema } from '@importer/contracts';
import { createCleanupRunsRepository, type Pool } from '@importer/db';
import { parseQuery } from '../validation';

/** `GET /cleanup-runs`: the nightly cleanup's runs, newest first, with what each removed. */
export function cleanupRunsRouter(deps: { pool: Pool }): Router {
  const router = Router();
  const runs = createCleanupRunsRepository(deps.pool);

  router.get('/', async (req, res) => {
    res.json(await runs.list(parseQuery(cleanupRunsQuerySchema, req.query)));
  });

  return router;
}
