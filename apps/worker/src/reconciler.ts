import type { Logger } from 'pino';
import { idleActiveImports, idleReverts, overdueDeliveries, type DeliveryRef, type ImportRef, type Pool } from '@importer/db';
import {
  enqueueRevert,
  requeueImport,
  requeueWebhookDelivery,
  type ImportsQueue,
  type RevertsQueue,
  type WebhooksQueue,
} from '@importer/queue';

export interface ReconcilerDeps {
  pool: Pool;
  queue: ImportsQueue;
  /** The reverts queue: a `reverting` import whose job Redis lost gets one again. */
  revertsQueue?: RevertsQueue;
  logger: Logger;
  importAttempts: number;
  /** How often to look, in milliseconds (`RECONCILE_INTERVAL_MS`). */
  intervalMs: number;
  /** Also re-enqueue pending webhook deliveries whose job Redis lost (the webhooks queue and its retry schedule). */
  webhooks?: { queue: WebhooksQueue; retrySchedule: readonly number[] };
}

export interface ReconcileResult {
  /** Imports looked at: `queued` or `processing`, untouched for the grace period. */
  checked: number;
  /** Jobs added for imports that had none. */
  added: number;
  /** Finished jobs replaced for imports that still need work. */
  replaced: number;
}

/** Imports looked at per query; a pass pages through all of them. */
const PAGE = 500;

/**
 * PostgreSQL is the source of truth: an import still `queued` or `processing` whose job is missing from
 * Redis (Redis was down at the upload, lost its data, or was flushed), or whose job has finished while the
 * import has not, gets a new job; the job id is the import id, so an import whose job waits or runs is left
 * alone. Runs at start-up and then every `intervalMs`, one pass at a time.
 *
 * Only imports untouched for a grace period (the interval, at most 10 s) are considered: a running import
 * commits a chunk (and touches its row) far more often, and the grace leaves an upload time to add its own
 * job. Likewise, a finished job is replaced only if it finished a grace period before the pass looked at
 * PostgreSQL: the import of a job that finished later may have finished since that look, and a job BullMQ
 * failed for stalling too often has its import marked `worker_crashed` by a worker just after. A redundant
 * job would be harmless anyway: adding is idempotent and the chunk fence keeps a second delivery from
 * double counting.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const graceMs = Math.min(10_000, deps.intervalMs);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function reconcileOnce(): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, added: 0, replaced: 0 };
    let after: ImportRef | null = null;
    while (!stopped) {
      const lookedAt = Date.now();
      const rows: ImportRef[] = await idleActiveImports(deps.pool, { idleMs: graceMs, after, limit: PAGE });
      for (const { id } of rows) {
        if (stopped) break;
        result.checked++;
        const outcome = await requeueImport(deps.queue, id, deps.importAttempts, { finishedBefore: lookedAt - graceMs });
        if (outcome === 'added') result.added++;
        if (outcome === 'replaced') result.replaced++;
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      after = last;
    }
    if (deps.revertsQueue && !stopped) {
      for (const id of await idleReverts(deps.pool, graceMs, PAGE)) {
        if (stopped) break;
        result.checked++;
        // Only a lost job is added again: a revert whose attempts all failed waits for an operator to ask again.
        if ((await deps.revertsQueue.getJobState(id)) !== 'unknown') continue;
        await enqueueRevert(deps.revertsQueue, id, deps.importAttempts);
        result.added++;
      }
    }
    if (result.added + result.replaced > 0) {
      deps.logger.info(result, 'reconciler re-enqueued imports PostgreSQL has but the queue had lost');
    }
    return result;
  }

  /**
   * Pending webhook deliveries due for a grace period (never sent: Redis was down at the finish, or no worker
   * listened; or their job was lost) get a job; a delivery whose job waits, is delayed or runs is left alone.
   * Returns how many got one.
   */
  async function reconcileDeliveriesOnce(): Promise<number> {
    const webhooks = deps.webhooks;
    if (!webhooks) return 0;
    let enqueued = 0;
    let after: DeliveryRef | null = null;
    while (!stopped) {
      const lookedAt = Date.now();
      const rows: DeliveryRef[] = await overdueDeliveries(deps.pool, { idleMs: graceMs, after, limit: PAGE });
      for (const { id } of rows) {
        if (stopped) break;
        const outcome = await requeueWebhookDelivery(webhooks.queue, id, webhooks.retrySchedule, { finishedBefore: lookedAt - graceMs });
        if (outcome !== 'pending') enqueued++;
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      after = last;
    }
    if (enqueued > 0) deps.logger.info({ deliveries: enqueued }, 'reconciler enqueued webhook deliveries the queue did not have');
    return enqueued;
  }

  const tick = () => {
    if (running || stopped) return; // one pass at a time: a pass waiting on a Redis that is down is not stacked
    running = Promise.all([reconcileOnce(), reconcileDeliveriesOnce()])
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'reconciler pass failed; the next one retries'))
      .finally(() => {
        running = undefined;
      });
  };

  return {
    reconcileOnce,
    reconcileDeliveriesOnce,
    start() {
      stopped = false;
      tick();
      timer = setInterval(tick, deps.intervalMs);
      timer.unref();
    },
    /** Stops the timer and lets a pass in progress end at its next import (without waiting on a Redis that is down). */
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    },
  };
}
