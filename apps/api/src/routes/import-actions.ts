import { Router } from 'express';
import type { Logger } from 'pino';
import { cancelImport, retryImport, type ImportActionResult, type ImportsRepository, type Pool } from '@importer/db';
import type { Metrics } from '@importer/metrics';
import { requeueImport, type ImportsQueue } from '@importer/queue';
import { HttpError, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';

export interface ImportActionsRouteDeps {
  pool: Pool;
  imports: ImportsRepository;
  queue: ImportsQueue;
  logger: Logger;
  importAttempts: number;
  /** Counts cancelled imports (`importer_imports_finished_total`). */
  metrics?: Metrics;
}

function refuse(id: string, result: Exclude<ImportActionResult, { outcome: 'done' }>, action: 'retry' | 'cancel'): HttpError {
  if (result.outcome === 'not_found') return notFound(`Import ${id}`);
  if (result.outcome === 'file_purged') {
    return new HttpError(409, 'file_purged', `Import ${id} cannot be retried: its file was removed by the cleanup; upload it again.`);
  }
  return action === 'retry'
    ? new HttpError(409, 'not_retryable', `Import ${id} is ${result.status}; only a failed or cancelled import can be retried.`, {
        status: result.status,
      })
    : new HttpError(409, 'not_cancellable', `Import ${id} is ${result.status}; only a queued or processing import can be cancelled.`, {
        status: result.status,
      });
}

/**
 * `POST /imports/:id/retry` and `POST /imports/:id/cancel` (docs/api.md). PostgreSQL decides (a conditional
 * update on the status); the queue follows: a retry makes sure the import has a job that will run, a
 * cancel removes a job still waiting. Should Redis be down, the worker's reconciler catches up.
 */
export function importActionsRouter(deps: ImportActionsRouteDeps): Router {
  const router = Router();

  router.post('/:id/retry', requireRole('admin', 'operator'), async (req, res) => {
    const id = idParam(req, 'Import');
    const result = await retryImport(deps.pool, id);
    if (result.outcome !== 'done') throw refuse(id, result, 'retry');
    try {
      // The job of the first run is still in Redis (failed, or completed after a cancel) under the same id:
      // it is replaced by a fresh job with fresh attempts.
      const job = await requeueImport(deps.queue, id, deps.importAttempts);
      deps.logger.info({ importId: id, job }, 'import retried from its checkpoint');
    } catch (error) {
      deps.logger.warn({ err: error, importId: id }, 'retry could not reach the queue; the reconciler enqueues it');
    }
    res
      .status(202)
      .location(`${req.baseUrl}/${id}`)
      .json(await deps.imports.find(id));
  });

  router.post('/:id/cancel', requireRole('admin', 'operator'), async (req, res) => {
    const id = idParam(req, 'Import');
    const result = await cancelImport(deps.pool, id);
    if (result.outcome !== 'done') throw refuse(id, result, 'cancel');
    try {
      // A waiting job would only find the import cancelled and stop; removing it frees its place. A running
      // one is locked and stays: its next chunk commit is refused and it ends.
      const job = await deps.queue.getJob(id);
      const state = await job?.getState();
      if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) await job.remove();
    } catch (error) {
      deps.logger.debug({ err: error, importId: id }, 'cancel left the job in the queue; it ends on its own');
    }
    deps.logger.info({ importId: id }, 'import cancelled');
    const view = await deps.imports.find(id);
    if (view)
      deps.metrics?.importFinished({ profile: view.profile, status: 'cancelled', startedAt: view.startedAt, finishedAt: view.finishedAt });
    res.json(view);
  });

  return router;
}
