import { Router } from 'express';
import { z } from 'zod';
import { createCleanupRunsRepository, type Pool } from '@importer/db';
import { badRequest } from '../errors';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

/** `GET /cleanup-runs`: the nightly cleanup's runs, newest first, with what each removed. */
export function cleanupRunsRouter(deps: { pool: Pool }): Router {
  const router = Router();
  const runs = createCleanupRunsRepository(deps.pool);

  router.get('/', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
      throw badRequest('invalid_query', `Invalid query: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
    }
    res.json(await runs.list(parsed.data));
  });

  return router;
}
