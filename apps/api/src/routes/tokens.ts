import { Router } from 'express';
import { z } from 'zod';
import { ROLES, type ApiTokensRepository } from '@importer/db';
import { badRequest, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';
import type { ProgressStreams } from '../progress-streams';

const newToken = z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) });

/** API tokens, for admins: list, create (the token is shown once), revoke (closing the token's progress streams). */
export function tokensRouter(deps: { tokens: ApiTokensRepository; streams: Pick<ProgressStreams, 'endAccess'> }): Router {
  const router = Router();
  router.use(requireRole('admin'));

  router.get('/', async (_req, res) => {
    res.json({ items: await deps.tokens.list() });
  });

  router.post('/', async (req, res) => {
    const parsed = newToken.safeParse(req.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
      throw badRequest('invalid_token_request', `Send {"name", "role"} with role one of ${ROLES.join(', ')}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
    }
    const { token, id } = await deps.tokens.create(parsed.data.name, parsed.data.role);
    const { name, role } = parsed.data;
    res.status(201).json({ id, name, role, createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null, token });
  });

  router.delete('/:id', async (req, res) => {
    const id = idParam(req, 'Active token');
    if (!(await deps.tokens.revoke(id))) throw notFound(`Active token ${id}`);
    deps.streams.endAccess({ tokenId: id });
    res.status(204).end();
  });
  return router;
}
