import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { ImportOptionsInput } from '@importer/contracts';
import { insertImport, runIdempotent, toImportView, type ImportsRepository, type Pool } from '@importer/db';
import { enqueueImport, type ImportsQueue } from '@importer/queue';
import type { FileStore } from '@importer/storage';
import { badRequest } from './errors';
import { answerIdempotent, idempotencyClaim } from './idempotency';
import { detectFormat, uploadedFile, uploadMiddleware } from './upload';

/**
 * An uploaded file becoming an import, shared by every route that takes one (`POST /imports`,
 * `POST /imports/:id/resubmit`): the same limits, storage, hashing, format check, record and job.
 */
export interface AcceptUploadDeps {
  imports: ImportsRepository;
  /** Records the import, with the request's Idempotency-Key in the same transaction. */
  pool: Pool;
  queue: ImportsQueue;
  logger: Logger;
  /** Where uploads are stored (`STORAGE_DRIVER`). */
  fileStore: FileStore;
  maxFileBytes: number;
  importAttempts: number;
  /** Counts uploads against `UPLOADS_PER_HOUR`: one counter for every upload route. */
  uploadLimit?: RequestHandler;
  /** `WEBHOOK_SECRET`: without it, an upload with a `webhookUrl` is refused (nothing could sign its deliveries). */
  webhookSecret?: string;
}

/** What the route decides about the import, once the file is stored. */
export interface UploadedImport {
  profile: string;
  options: ImportOptionsInput;
  parentId?: string;
  /** Also POST the finished import here (docs/api.md, "Webhooks"). */
  webhookUrl?: string | null;
}

/**
 * The steps before an upload route's handler: `UPLOADS_PER_HOUR` (checked before the body is read), then
 * the multipart body, its file streamed to the file store and hashed on the way.
 */
export const uploadSteps = (deps: AcceptUploadDeps): RequestHandler[] => [
  ...(deps.uploadLimit ? [deps.uploadLimit] : []),
  uploadMiddleware(deps.fileStore, deps.maxFileBytes),
];

/**
 * Records the stored file as a `queued` import and enqueues its job; answers `202` with the record and
 * `Location`. `decide` reads the rest of the request (it may refuse it by throwing). On any refusal the
 * stored file is removed.
 */
export async function acceptUpload(
  deps: AcceptUploadDeps,
  req: Request,
  res: Response,
  decide: () => UploadedImport | Promise<UploadedImport>,
): Promise<void> {
  const file = uploadedFile(req);
  if (!file) throw badRequest('file_required', 'Send the file in the multipart field "file".');
  try {
    if (file.size === 0) throw badRequest('empty_file', `The file "${file.originalname}" is empty.`);
    const { profile, options, parentId, webhookUrl } = await decide();
    if (webhookUrl && !deps.webhookSecret) {
      throw badRequest(
        'webhook_secret_missing',
        "This server has no WEBHOOK_SECRET to sign deliveries to an upload's own webhookUrl: leave webhookUrl out, or ask an admin to set WEBHOOK_SECRET or to register a webhook endpoint.",
      );
    }
    const format = await detectFormat(deps.fileStore, file);
    // Idempotency-Key: the same fields and file bytes are the same request.
    const claim = idempotencyClaim(req, () => ({ profile, options, parentId, webhookUrl, file: file.sha256 }));
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
        parentId: parentId ?? null,
        webhookUrl: webhookUrl ?? null,
      });
      const view = toImportView(record);
      return { value: view, answer: { statusCode: 202, body: view }, importId: view.id };
    });
    if (recorded.outcome !== 'done') {
      // The first request's answer again (409 and 422 are thrown, and the file removed below); this copy of the file is not needed.
      if (recorded.outcome === 'replay') res.location(`${req.baseUrl}/${(recorded.answer.body as { id: string }).id}`);
      answerIdempotent(res, recorded, () => undefined);
      await deps.fileStore.delete(file.key).catch(() => undefined);
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
    await deps.fileStore.delete(file.key).catch(() => undefined);
    throw error;
  }
}
