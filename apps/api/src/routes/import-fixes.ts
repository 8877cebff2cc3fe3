import { Router } from 'express';
import { FINISHED_STATUSES, type ErrorGroups, type ImportOptions, type ImportStatus } from '@importer/contracts';
import { importErrorGroups } from '@importer/db';
import { acceptUpload, uploadSteps, type AcceptUploadDeps, type UploadedImport } from '../accept-upload';
import { HttpError, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';

/** What a re-submission needs, as any upload; its pool also runs the error groups' aggregate. */
export type ImportFixesRouteDeps = AcceptUploadDeps;

/**
 * Fixing an import's rejected rows (docs/api.md): `GET /imports/:id/error-groups` (what is wrong, grouped by
 * column and code) and `POST /imports/:id/resubmit` (a corrected file as a new import of the same profile and
 * options, linked to the original by `parentId`, through the same upload path as `POST /imports`).
 */
export function importFixesRouter(deps: ImportFixesRouteDeps): Router {
  const router = Router();

  router.get('/:id/error-groups', async (req, res) => {
    const id = idParam(req, 'Import');
    // The record first, so that an unknown import is a 404 and not an empty list.
    if (!(await deps.imports.get(id))) throw notFound(`Import ${id}`);
    const answer: ErrorGroups = { items: await importErrorGroups(deps.pool, id) };
    res.json(answer);
  });

  router.post(
    '/:id/resubmit',
    requireRole('admin', 'operator'),
    // The original is checked before the body is read: a refused re-submission stores nothing.
    async (req, res, next) => {
      const id = idParam(req, 'Import');
      const parent = await deps.imports.get(id);
      if (!parent) throw notFound(`Import ${id}`);
      const status = parent.status as ImportStatus;
      if (!FINISHED_STATUSES.includes(status)) {
        throw new HttpError(
          409,
          'not_resubmittable',
          `Import ${id} is ${status}; its rows can be re-submitted once it is finished (${FINISHED_STATUSES.join(', ')}).`,
          { status },
        );
      }
      const original: UploadedImport = {
        profile: parent.profile,
        options: parent.options as ImportOptions,
        parentId: parent.id,
        webhookUrl: parent.webhookUrl,
      };
      res.locals.original = original;
      next();
    },
    ...uploadSteps(deps),
    async (req, res) =>
      // The original's profile, options (as stored: defaults filled in) and webhookUrl; other multipart fields are ignored.
      acceptUpload(deps, req, res, () => res.locals.original as UploadedImport),
  );

  return router;
}
