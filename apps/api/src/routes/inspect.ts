import { Router } from 'express';
import type { Logger } from 'pino';
import type { ImportLimits } from '@importer/config';
import { inspectFieldsSchema } from '@importer/contracts';
import type { Queryable } from '@importer/db';
import { BadFileError, inspectFile } from '@importer/imports';
import type { FileStore } from '@importer/storage';
import { badRequest, HttpError } from '../errors';
import { knownProfile } from '../profile-field';
import { requireRole } from '../middleware/auth';
import { detectFormat, uploadedFile, uploadMiddleware } from '../upload';
import { listIssues, parseOr } from '../validation';

/**
 * `POST /imports/inspect` (docs/api.md): a file's header row and the column each header would fill, for the
 * admin UI's mapping step. The file is read by the import's readers with its limits, then deleted: nothing is
 * recorded, and it does not count as an upload.
 */
export function inspectRouter(deps: { pool: Queryable; fileStore: FileStore; limits: ImportLimits; logger: Logger }): Router {
  const router = Router();
  router.post('/', requireRole('admin', 'operator'), uploadMiddleware(deps.fileStore, deps.limits.maxFileBytes), async (req, res) => {
    const file = uploadedFile(req);
    if (!file) throw badRequest('file_required', 'Send the file in the multipart field "file".');
    try {
      if (file.size === 0) throw badRequest('empty_file', `The file "${file.originalname}" is empty.`);
      const fields = parseOr(inspectFieldsSchema, req.body, (issues) =>
        badRequest('invalid_options', `Invalid fields: ${listIssues(issues)}`, issues),
      );
      const profile = knownProfile(fields.profile);
      const format = await detectFormat(deps.fileStore, file);
      try {
        res.json(
          await inspectFile(deps.pool, { store: deps.fileStore, key: file.key, format }, profile, deps.limits, { sheet: fields.sheet }),
        );
      } catch (error) {
        if (!(error instanceof BadFileError)) throw error;
        if (error.cause) deps.logger.info({ err: error.cause, code: error.code }, 'inspected file unreadable');
        throw new HttpError(422, error.code, error.message, error.details ?? null);
      }
    } finally {
      await deps.fileStore.delete(file.key).catch(() => undefined);
    }
  });
  return router;
}
