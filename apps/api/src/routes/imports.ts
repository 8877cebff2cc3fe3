import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { importsListQuerySchema, rowErrorsQuerySchema, uploadFieldsSchema, uploadOptionsSchema } from '@importer/contracts';
import { insertImport, rejectedRowPages, runIdempotent, toImportView, type ImportsRepository, type Pool } from '@importer/db';
import { csvLines, getProfile, PROFILE_NAMES, rejectedRowCells, rejectedRowsHeader } from '@importer/imports';
import { enqueueImport, type ImportsQueue } from '@importer/queue';
import { badRequest, notFound } from '../errors';
import { idParam } from '../id-param';
import { answerIdempotent, idempotencyClaim } from '../idempotency';
import { requireRole } from '../middleware/auth';
import { detectFormat, uploadedFile, uploadMiddleware } from '../upload';
import { listIssues, parseOr, parseQuery } from '../validation';

export interface ImportsRouteDeps {
  imports: ImportsRepository;
  /** Records uploads (with their Idempotency-Key); reads the rejected rows page by page for the CSV download. */
  pool: Pool;
  queue: ImportsQueue;
  logger: Logger;
  storageDir: string;
  maxFileBytes: number;
  importAttempts: number;
  /** Counts uploads against `UPLOADS_PER_HOUR`; on the upload route itself, whatever path spelling reached it. */
  uploadLimit?: RequestHandler;
}

export function importsRouter(deps: ImportsRouteDeps): Router {
  const router = Router();
  const { imports } = deps;
  const findImport = async (req: Request) => {
    const id = idParam(req, 'Import');
    const found = await imports.find(id);
    if (!found) throw notFound(`Import ${id}`);
    return found;
  };

  const uploadLimit = deps.uploadLimit ? [deps.uploadLimit] : [];
  router.post(
    '/',
    requireRole('admin', 'operator'),
    ...uploadLimit,
    uploadMiddleware(deps.storageDir, deps.maxFileBytes),
    async (req, res) => {
      const file = uploadedFile(req);
      if (!file) throw badRequest('file_required', 'Send the file in the multipart field "file".');
      try {
        if (file.size === 0) throw badRequest('empty_file', `The file "${file.originalname}" is empty.`);
        // The profile is checked first (`unknown_profile` lists the profiles), then the options.
        const fields = req.body as Record<string, unknown>;
        const profile = uploadFieldsSchema.shape.profile.safeParse(fields.profile).data;
        if (!profile || !getProfile(profile)) {
          throw badRequest(
            'unknown_profile',
            `${profile ? `Unknown profile "${profile}"` : 'The field "profile" is required'}; expected one of ${PROFILE_NAMES.join(', ')}.`,
            {
              profiles: PROFILE_NAMES,
            },
          );
        }
        const options = parseOr(uploadOptionsSchema, fields, (issues) =>
          badRequest('invalid_options', `Invalid options: ${listIssues(issues)}`, issues),
        );
        const format = await detectFormat(file);
        // Idempotency-Key: the same fields and file bytes are the same request.
        const claim = idempotencyClaim(req, () => ({ profile, options, file: file.sha256 }));
        const recorded = await runIdempotent(deps.pool, claim, async (tx) => {
          const record = await insertImport(tx, {
            id: randomUUID(),
            source: 'file',
            profile,
            options,
            fileName: file.originalname,
            fileSize: file.size,
            fileSha256: file.sha256,
            fileKey: file.key,
            fileFormat: format,
            createdBy: req.principal?.name ?? null,
          });
          const view = toImportView(record);
          return { value: view, answer: { statusCode: 202, body: view }, importId: view.id };
        });
        if (recorded.outcome === 'replay') res.location(`${req.baseUrl}/${(recorded.answer.body as { id: string }).id}`);
        if (recorded.outcome !== 'done') {
          // The first request's answer, or an error: this upload's copy of the file is not needed.
          await unlink(file.path).catch(() => undefined);
          answerIdempotent(res, recorded, () => undefined);
          return;
        }
        const created = recorded.value;
        // The import is committed before its job exists; should Redis be down now, the worker's reconciler
        // enqueues it later, so the upload still succeeds.
        try {
          await enqueueImport(deps.queue, created.id, deps.importAttempts);
        } catch (error) {
          deps.logger.warn({ err: error, importId: created.id }, 'enqueue failed; the reconciler will retry');
        }
        res.status(202).location(`${req.baseUrl}/${created.id}`).json(created);
      } catch (error) {
        await unlink(file.path).catch(() => undefined);
        throw error;
      }
    },
  );

  router.get('/', async (req, res) => {
    const query = parseQuery(importsListQuerySchema, req.query);
    res.json(await imports.list(query));
  });

  router.get('/:id', async (req, res) => {
    res.json(await findImport(req));
  });

  router.get('/:id/errors', async (req, res) => {
    const query = parseQuery(rowErrorsQuerySchema, req.query);
    const found = await findImport(req);
    res.json(await imports.listErrors(found.id, query));
  });

  /**
   * The rejected rows as CSV (errors only: rows with warnings were written or skipped, not rejected), each
   * with its original cells and its errors, formula-like cells neutralised; in the file's delimiter, with
   * a UTF-8 byte-order mark for spreadsheet programs. Streamed one page of errors at a time.
   */
  router.get('/:id/errors.csv', async (req, res) => {
    const found = await findImport(req);
    const { headers } = found.file;
    const delimiter = found.file.delimiter ?? ',';
    res.attachment(`${path.parse(found.file.name).name}-rejected-rows.csv`);
    res.type('text/csv; charset=utf-8');
    res.write(`\uFEFF${csvLines([rejectedRowsHeader(headers)], delimiter)}`);
    try {
      for await (const page of rejectedRowPages(deps.pool, found.id)) {
        if (res.destroyed) return;
        if (
          !res.write(
            csvLines(
              page.map((row) => rejectedRowCells(headers, row)),
              delimiter,
            ),
          )
        ) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      }
      res.end();
    } catch (error) {
      // The status line is sent: the client can only see the download cut short.
      deps.logger.error({ err: error, importId: found.id }, 'rejected-rows download failed');
      res.destroy(error as Error);
    }
  });

  return router;
}
