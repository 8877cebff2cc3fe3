import type { Logger } from 'pino';
import type { Pool } from '@importer/db';
import { enqueueImport, type ImportsQueue } from '@importer/queue';

export interface ReconcilerDeps {
  pool: Pool;
  queue: ImportsQueue;
  logger: Logger;
  importAttempts: number;
  /** How often to look, in milliseconds. */
  intervalMs: number;
}

/**
 * PostgreSQL is the source of truth: an import still `queued` or `processing` whose job is missing from
 * Redis (Redis was down at upload, or lost its data) is enqueued again. The job id is the import id, so
 * an import whose job exists is left alone.
 */
export function createReconciler(deps: ReconcilerDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function reconcileOnce(): Promise<number> {
    const { rows } = await deps.pool.query<{ id: string }>(
      `SELECT "id" FROM "imports" WHERE "status" IN ('queued', 'processing') AND "updated_at" < now() - interval '10 seconds'
       ORDER BY "created_at" LIMIT 1000`,
    );
    let enqueued = 0;
    for (const { id } of rows) {
      if (await deps.queue.getJob(id)) continue;
      await enqueueImport(deps.queue, id, deps.importAttempts);
      enqueued++;
    }
    if (enqueued > 0) deps.logger.info({ enqueued }, 'reconciler enqueued imports missing from the queue');
    return enqueued;
  }

  const tick = () => {
    running = reconcileOnce().catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'reconciler pass failed');
      return 0;
    });
  };

  return {
    reconcileOnce,
    start() {
      tick();
      timer = setInterval(tick, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
