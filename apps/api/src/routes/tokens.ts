import { Router } from 'express';
import { newApiTokenSchema, ROLES, type ApiTokenList, type CreatedApiToken } from '@importer/contracts';
import type { ApiTokensRepository } from '@importer/db';
import { badRequest, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';
import type { ProgressStreams } from '../progress-streams';
import { listIssues, parseOr } from '../validation';

/**
 * API tokens, for admins: list, create (the token is shown once), revoke (closing the token's progress streams
 * and telling every API process to forget its verification: `revoked`).
 */
export function tokensRouter(deps: {
  tokens: ApiTokensRepository;
  streams: Pick<ProgressStreams, 'endAccess'>;
  revoked: (tokenId: string) => Promise<void>;
}): Router {
  const router = Router();
  router.use(requireRole('admin'));

  router.get('/', async (_req, res) => {
    const body: ApiTokenList = { items: await deps.tokens.list() };
    res.json(body);
  });

  router.post('/', async (req, res) => {
    const { name, role } = parseOr(newApiTokenSchema, req.body, (issues) =>
      badRequest('invalid_token_request', `Send {"name", "role"} with role one of ${ROLES.join(', ')}: ${listIssues(issues)}`, issues),
    );
    const { token, id } = await deps.tokens.create(name, role);
    const created: CreatedApiToken = { id, name, role, createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null, token };
    res.status(201).json(created);
  });

  router.delete('/:id', async (req, res) => {
    const id = idParam(req, 'Active token');
    if (!(await deps.tokens.revoke(id))) throw notFound(`Active token ${id}`);
    deps.streams.endAccess({ tokenId: id });
    await deps.revoked(id);
    res.status(204).end();
  });
  return router;
}
