import { randomUUID } from 'node:crypto';
import { Job, QueueEvents, type ConnectionOptions, type Queue } from 'bullmq';
import { DEFAULT_REDIS_URL, hashTagged } from '@importer/config';
import { IMPORTS_QUEUE } from '@importer/queue';

export const redisUrl = () => process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

/**
 * A BullMQ key prefix of its own, so tests never see each other's jobs: hash-tagged as `QUEUE_PREFIX` is
 * (`{test-…}`), so that a worker given it as `QUEUE_PREFIX` uses the same keys.
 */
export const uniquePrefix = () => hashTagged(`test-${randomUUID()}`);

/** The imports queue's events; `connection` (e.g. a Redis Cluster's `createRedis`): default, the Redis of `redisUrl()`. */
export function importsQueueEvents(prefix: string, connection?: ConnectionOptions): QueueEvents {
  const url = new URL(redisUrl());
  return new QueueEvents(IMPORTS_QUEUE, {
    prefix,
    connection: connection ?? { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
  });
}

/**
 * Waits, on queue events rather than a sleep, until the job has finished. Resolves with its outcome:
 * `completed` or `failed` (a failed job does not throw here; tests look at the import record).
 */
export async function waitForJob(queue: Queue, events: QueueEvents, jobId: string, timeoutMs = 60_000): Promise<'completed' | 'failed'> {
  const job = await Job.fromId(queue, jobId);
  if (!job) throw new Error(`no job ${jobId} in the queue`);
  try {
    await job.waitUntilFinished(events, timeoutMs);
    return 'completed';
  } catch (error) {
    if (String((error as Error).message).includes('timed out')) throw error;
    return 'failed';
  }
}
