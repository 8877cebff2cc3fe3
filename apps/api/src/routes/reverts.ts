import { Router } from 'express';
import type { Logger } from 'pino';
import { revertRequestSchema, type RevertPreview } from '@importer/contracts';
import {
  isAllowed,
  revertability,
  startRevert,
  type ImportStatus,
  type ImportsRepository,
  type Pool,
  type RevertStartResult,
} from '@importer/db';
import { previewRevert } from '@importer/imports';
import { enqueueRevert, type RevertsQueue } from '@importer/queue';
import { badRequest, HttpError, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';
import { listIssues, parseOr } from '../validation';

export interface RevertsRouteDeps {
  pool: Pool;
  imports: ImportsRepository;
  revertsQueue: RevertsQueue;
  logger: Logger;
  importAttempts: number;
  /** `RETAIN_LINEAGE_DAYS`: how long after its end an import can be reverted. */
  retainLineageDays: number;
}

const STATUS_REFUSALS: Partial<Record<ImportStatus, { code: string; why: string }>> = {
  queued: { code: 'import_not_finished', why: 'it has not finished yet; cancel it instead' },
  processing: { code: 'import_not_finished', why: 'it has not finished yet; cancel it instead' },
  failed: { code: 'import_failed', why: 'it failed; retry it, or upload a corrected file' },
  cancelled: { code: 'import_cancelled', why: 'it was cancelled' },
  reverted: { code: 'already_reverted', why: 'it is reverted already' },
};

function refuse(id: string, result: Exclude<RevertStartResult, { outcome: 'done' }>, retainDays: number): HttpError {
  switch (result.outcome) {
    case 'not_found':
      return notFound(`Import ${id}`);
    case 'dry_run':
      return new HttpError(409, 'dry_run_import', `Import ${id} was a dry run: it changed nothing, so there is nothing to revert.`);
    case 'lineage_expired':
      return new HttpError(
        409,
        'lineage_expired',
        `Import ${id} finished more than ${retainDays} days ago: what it changed is no longer recorded, so it cannot be reverted.`,
        { retainDays },
      );
    case 'conflict': {
      const refusal = STATUS_REFUSALS[result.status as ImportStatus] ?? { code: 'not_revertible', why: `it is ${result.status}` };
      return new HttpError(409, refusal.code, `Import ${id} cannot be reverted: ${refusal.why}.`, { status: result.status });
    }
    default:
      return new HttpError(409, 'not_revertible', `Import ${id} cannot be reverted.`);
  }
}

/**
 * `POST /imports/:id/revert` (docs/api.md): PostgreSQL decides (`startRevert`, a conditional update on the
 * status), then the revert job is enqueued. A dry run answers at once with the counts the revert would have
 * now (`planRevert`, one read-only statement). Asked again while the import is `reverting`, it makes sure its
 * job runs (a revert whose attempts all failed resumes from its checkpoint).
 */
export function revertsRouter(deps: RevertsRouteDeps): Router {
  const router = Router();

  router.post('/:id/revert', requireRole('admin', 'operator'), async (req, res) => {
    const id = idParam(req, 'Import');
    const body = parseOr(revertRequestSchema, req.body ?? {}, (issues) =>
      badRequest('invalid_revert_request', `Invalid revert request: ${listIssues(issues)}`, issues),
    );
    if (body.dryRun) {
      const allowed = await revertability(deps.pool, id, deps.retainLineageDays);
      if (allowed.outcome !== 'done') throw refuse(id, allowed, deps.retainLineageDays);
      const record = await deps.imports.get(id);
      if (!record) throw notFound(`Import ${id}`);
      const counts = await previewRevert(deps, id, record.profile);
      const preview: RevertPreview = {
        dryRun: true,
        reverted: counts.reverted,
        kept: counts.kept,
        failed: counts.referenced + counts.missing,
        failures: { referenced: counts.referenced, missing: counts.missing },
      };
      res.json(preview);
      return;
    }
    const result = await startRevert(deps.pool, id, { retainDays: deps.retainLineageDays, requestedBy: req.principal?.name ?? null });
    const resuming = result.outcome === 'conflict' && isAllowed('finishRevert', result.status as ImportStatus);
    if (result.outcome !== 'done' && !resuming) throw refuse(id, result, deps.retainLineageDays);
    try {
      await enqueueRevert(deps.revertsQueue, id, deps.importAttempts);
      deps.logger.info({ importId: id, resuming }, resuming ? 'revert resumed' : 'revert started');
    } catch (error) {
      deps.logger.warn({ err: error, importId: id }, 'revert could not reach the queue; asking again resumes it');
    }
    res
      .status(202)
      .location(`${req.baseUrl}/${id}`)
      .json(await deps.imports.find(id));
  });

  return router;
}
