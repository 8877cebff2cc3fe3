import { Router } from 'express';
import { mappingsQuerySchema, newSavedMappingSchema, type SavedMappingList } from '@importer/contracts';
import type { ColumnMappingsRepository } from '@importer/db';
import { headerSet } from '@importer/imports';
import { badRequest, notFound } from '../errors';
import { knownProfile } from '../profile-field';
import { idParam } from '../id-param';
import { checkMapping } from '../mapping-checks';
import { requireRole } from '../middleware/auth';
import { listIssues, parseOr, parseQuery } from '../validation';

/**
 * Remembered column mappings (docs/api.md, "Column mappings"): any role reads them, operators and admins
 * save (one per profile and header set: saving again replaces it) and remove them.
 */
export function mappingsRouter(deps: { mappings: ColumnMappingsRepository }): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const { profile } = parseQuery(mappingsQuerySchema, req.query);
    const body: SavedMappingList = { items: await deps.mappings.list(profile) };
    res.json(body);
  });

  router.post('/', requireRole('admin', 'operator'), async (req, res) => {
    const input = parseOr(newSavedMappingSchema, req.body, (issues) =>
      badRequest('invalid_mapping', `Send {"profile", "headers", "mapping"}: ${listIssues(issues)}`, issues),
    );
    const profile = knownProfile(input.profile);
    const mapping = checkMapping(profile, input.mapping, input.headers);
    const saved = await deps.mappings.save({
      profile: profile.name,
      headerSet: headerSet(input.headers),
      headers: input.headers,
      mapping,
      savedBy: req.principal?.name ?? null,
    });
    res
      .status(saved.created ? 201 : 200)
      .location(`${req.baseUrl}/${saved.mapping.id}`)
      .json(saved.mapping);
  });

  router.delete('/:id', requireRole('admin', 'operator'), async (req, res) => {
    const id = idParam(req, 'Column mapping');
    if (!(await deps.mappings.remove(id))) throw notFound(`Column mapping ${id}`);
    res.status(204).end();
  });
  return router;
}
