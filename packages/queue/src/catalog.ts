/**
 * The job catalog: every queue, job name, payload schema and default option lives here, so that a wrong
 * payload or a missing processor is a type error rather than a surprise in production.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '@importer/config';
import { z } from 'zod';

export const IMPORTS_QUEUE = 'imports';
const IMPORT_FILE_JOB = 'import-file';
/** The nightly cleanup's queue and job (docs/cleanup.md). */
export const CLEANUP_QUEUE = 'cleanup';
const CLEANUP_JOB = 'cleanup';

/** Outgoing webhooks (docs/api.md, "Webhooks"): one job per delivery, job id = delivery id. */
export const WEBHOOKS_QUEUE = 'webhooks';
const DELIVER_WEBHOOK_JOB = 'deliver-webhook';
/** The name of the webhooks' backoff strategy: the delays of `WEBHOOK_RETRY_SCHEDULE_S`, in order. */
export const WEBHOOK_BACKOFF = 'webhook-schedule';
/** Reverts of finished imports (docs/write-semantics.md, "Lineage and revert"): one job per import, job id = import id. */
export const REVERTS_QUEUE = 'reverts';
const REVERT_IMPORT_JOB = 'revert-import';

/** Id of the nightly cleanup's job scheduler: every worker upserts the same one, so there is one schedule. */
export const CLEANUP_SCHEDULER_ID = 'nightly-cleanup';

export const importFilePayload = z.object({ importId: z.string().uuid() });
export type ImportFilePayload = z.infer<typeof importFilePayload>;

export const deliverWebhookPayload = z.object({ deliveryId: z.string().uuid() });
export type DeliverWebhookPayload = z.infer<typeof deliverWebhookPayload>;
export const revertImportPayload = z.object({ importId: z.string().uuid() });
export type RevertImportPayload = z.infer<typeof revertImportPayload>;

/** What started a cleanup run: its schedule, or an operator (`npm run cli -- cleanup run`). */
export const cleanupPayload = z.object({ trigger: z.enum(['schedule', 'manual']).default('schedule') });
export type CleanupPayload = z.infer<typeof cleanupPayload>;

/** Delay before the first retry of a failed import attempt; each further retry waits twice as long. */
const IMPORT_BACKOFF_MS = 5_000;

/**
 * How long finished jobs stay in Redis (seconds, and at most how many): long enough for Bull Board and for
 * the API to see a job's last error, short enough that Redis never fills. The nightly cleanup sweeps with
 * the same ages whatever escaped these options.
 */
export const FINISHED_JOB_RETENTION = {
  completed: { age: 7 * 24 * 3600, count: 10_000 },
  failed: { age: 30 * 24 * 3600, count: 10_000 },
} as const;

/** Defaults every import job gets; the job id is the import id, so a second enqueue is a no-op. */
function importJobOptions(attempts: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: IMPORT_BACKOFF_MS },
    removeOnComplete: { ...FINISHED_JOB_RETENTION.completed },
    removeOnFail: { ...FINISHED_JOB_RETENTION.failed },
  };
}

/** The cleanup job runs once per schedule: a failed run is recorded and waits for the next night. */
const cleanupJobOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
} satisfies JobsOptions;

/** A connection to Redis: one server, or a Redis Cluster (ioredis routes each command to its slot's node). */
export type RedisConnection = Redis | Cluster;

/**
 * The one factory of Redis connections, for BullMQ, the progress pub/sub and the rate limits: a `Redis`
 * for REDIS_URL, a `Cluster` for REDIS_CLUSTER_NODES (`redisSettings(config)`; a URL is short for a single
 * server). `maxRetriesPerRequest: null` is what BullMQ workers require; producers (the API) pass
 * `failFast` so a request does not hang while Redis is down.
 */
export function createRedis(url: string, options?: { failFast?: boolean }): Redis;
export function createRedis(settings: RedisSettings | string, options?: { failFast?: boolean }): RedisConnection;
export function createRedis(target: RedisSettings | string, options: { failFast?: boolean } = {}): RedisConnection {
  const settings: RedisSettings = typeof target === 'string' ? { mode: 'single', url: target } : target;
  const perRequest: RedisOptions = options.failFast ? { maxRetriesPerRequest: 1, connectTimeout: 2_000 } : { maxRetriesPerRequest: null };
  const redis =
    settings.mode === 'single'
      ? new Redis(settings.url, { ...perRequest, enableOfflineQueue: !options.failFast })
      : new Cluster(settings.nodes, {
          // Failing fast is the cluster's to decide (its node connections connect lazily and queue meanwhile).
          enableOfflineQueue: !options.failFast,
          // BullMQ takes a cluster whose status is `connect` for ready and sends its first command; with no
          // offline queue, that command would fail in the moment between `connect` and `ready` that the ready
          // check (CLUSTER INFO) takes, and leave the queue unusable. Without it, `ready` follows at once.
          ...(options.failFast ? { enableReadyCheck: false } : {}),
          redisOptions: {
            ...perRequest,
            username: settings.username,
            password: settings.password,
            ...(settings.tls ? { tls: {} } : {}),
          },
        });
  // Connection errors surface on the commands that need Redis; the client keeps reconnecting.
  redis.on('error', () => undefined);
  return redis;
}

export interface QueueContext {
  connection: ConnectionOptions;
  prefix: string;
}

export type ImportsQueue = Queue<ImportFilePayload, void, typeof IMPORT_FILE_JOB>;

export function createImportsQueue({ connection, prefix }: QueueContext): ImportsQueue {
  return new Queue<ImportFilePayload, void, typeof IMPORT_FILE_JOB>(IMPORTS_QUEUE, { connection, prefix });
}

export type RevertsQueue = Queue<RevertImportPayload, unknown, typeof REVERT_IMPORT_JOB>;

export function createRevertsQueue({ connection, prefix }: QueueContext): RevertsQueue {
  return new Queue<RevertImportPayload, unknown, typeof REVERT_IMPORT_JOB>(REVERTS_QUEUE, { connection, prefix });
}

/**
 * Enqueues the revert job of an import already `reverting`, with the imports' retries and retention. A
 * finished job of the same id (an earlier revert job whose attempts all failed) is replaced: the revert
 * resumes from its checkpoint.
 */
export async function enqueueRevert(queue: RevertsQueue, importId: string, attempts: number): Promise<void> {
  const previous = await queue.getJob(importId);
  const state = await previous?.getState();
  if (previous && (state === 'completed' || state === 'failed')) await previous.remove();
  await queue.add(REVERT_IMPORT_JOB, revertImportPayload.parse({ importId }), { ...importJobOptions(attempts), jobId: importId });
}

// Job names are typed as plain strings: BullMQ types the scheduler id with the job-name type.
export type CleanupQueue = Queue<CleanupPayload, unknown, string>;

export function createCleanupQueue({ connection, prefix }: QueueContext): CleanupQueue {
  return new Queue<CleanupPayload, unknown, string>(CLEANUP_QUEUE, { connection, prefix });
}

export interface CleanupSchedule {
  /** Cron pattern (`CLEANUP_CRON`). */
  cron: string;
  /** Time zone of the pattern (`CLEANUP_TZ`). */
  tz: string;
}

/**
 * Registers the nightly cleanup. Upserting a scheduler with a stable id is idempotent: however many workers
 * call this at start-up, Redis holds one schedule and one next run; a changed pattern replaces it.
 */
export async function scheduleCleanup(queue: CleanupQueue, schedule: CleanupSchedule): Promise<void> {
  await queue.upsertJobScheduler(
    CLEANUP_SCHEDULER_ID,
    { pattern: schedule.cron, tz: schedule.tz },
    { name: CLEANUP_JOB, data: cleanupPayload.parse({ trigger: 'schedule' }), opts: cleanupJobOptions },
  );
}

/** Enqueues the job for an import whose row is already committed. */
export async function enqueueImport(queue: ImportsQueue, importId: string, attempts: number): Promise<void> {
  await queue.add(IMPORT_FILE_JOB, importFilePayload.parse({ importId }), {
    ...importJobOptions(attempts),
    jobId: importId,
  });
}

export type WebhooksQueue = Queue<DeliverWebhookPayload, unknown, typeof DELIVER_WEBHOOK_JOB>;

export function createWebhooksQueue({ connection, prefix }: QueueContext): WebhooksQueue {
  return new Queue<DeliverWebhookPayload, unknown, typeof DELIVER_WEBHOOK_JOB>(WEBHOOKS_QUEUE, { connection, prefix });
}

/**
 * The delay before retry `attemptsMade` (1 for the first retry) of a delivery: the schedule's entry, in ms.
 * The webhooks worker registers it as its backoff strategy.
 */
export const webhookRetryDelayMs = (retrySchedule: readonly number[], attemptsMade: number): number =>
  (retrySchedule[Math.min(attemptsMade, retrySchedule.length) - 1] ?? 0) * 1000;

/** A delivery's job: the first try and one retry per delay of the schedule (`WEBHOOK_RETRY_SCHEDULE_S`). */
function webhookJobOptions(retrySchedule: readonly number[]): JobsOptions {
  return {
    attempts: retrySchedule.length + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: { ...FINISHED_JOB_RETENTION.completed },
    removeOnFail: { ...FINISHED_JOB_RETENTION.failed },
  };
}

/**
 * Enqueues deliveries already committed, in one `addBulk`. The job id is the delivery id, so a delivery
 * enqueued twice (by every worker told of it, or by the reconciler) is sent by one job.
 */
export async function enqueueWebhookDeliveries(queue: WebhooksQueue, deliveryIds: readonly string[], retrySchedule: readonly number[]) {
  if (deliveryIds.length === 0) return;
  const opts = webhookJobOptions(retrySchedule);
  await queue.addBulk(
    deliveryIds.map((deliveryId) => ({
      name: DELIVER_WEBHOOK_JOB,
      data: deliverWebhookPayload.parse({ deliveryId }),
      opts: { ...opts, jobId: deliveryId },
    })),
  );
}

/**
 * A fresh job for a delivery that is `pending` again (a replay) or whose job Redis lost (the reconciler):
 * a finished job under the same id is removed first, so that the add is not a no-op; a job still waiting,
 * delayed or running is left alone, unless `now` (a replay), which has a delayed job run at once.
 * `finishedBefore` (ms since the epoch): replace only a job that finished before then (the reconciler's look
 * at PostgreSQL).
 */
export async function requeueWebhookDelivery(
  queue: WebhooksQueue,
  deliveryId: string,
  retrySchedule: readonly number[],
  options: { finishedBefore?: number; now?: boolean } = {},
): Promise<'added' | 'replaced' | 'pending'> {
  const state = await queue.getJobState(deliveryId);
  if (state === 'delayed' && options.now) {
    // Waiting for a retry: a replay sends it now, keeping the job and the attempts it has left.
    await (await queue.getJob(deliveryId))?.promote().catch(() => undefined);
    return 'pending';
  }
  if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'pending';
  const job = await queue.getJob(deliveryId);
  if (job) {
    if (options.finishedBefore !== undefined && job.finishedOn !== undefined && job.finishedOn >= options.finishedBefore) return 'pending';
    try {
      await job.remove();
    } catch (error) {
      if ((await queue.getJob(deliveryId).then((again) => again?.getState())) === 'active') return 'pending';
      throw error;
    }
  }
  await enqueueWebhookDeliveries(queue, [deliveryId], retrySchedule);
  return job ? 'replaced' : 'added';
}
