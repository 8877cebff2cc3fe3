/**
 * The job catalog: every queue, job name, payload schema and default option lives here, so that a wrong
 * payload or a missing processor is a type error rather than a surprise in production.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

export const IMPORTS_QUEUE = 'imports';
export const IMPORT_FILE_JOB = 'import-file';
/** The nightly cleanup's queue and job (SPEC §8). */
export const CLEANUP_QUEUE = 'cleanup';
export const CLEANUP_JOB = 'cleanup';

export const importFilePayload = z.object({ importId: z.string().uuid() });
export type ImportFilePayload = z.infer<typeof importFilePayload>;

/** Defaults every import job gets; the job id is the import id, so a second enqueue is a no-op. */
export function importJobOptions(attempts: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
  };
}

/**
 * A Redis connection for BullMQ. `maxRetriesPerRequest: null` is what BullMQ workers require; producers
 * (the API) pass `failFast` so a request does not hang while Redis is down.
 */
export function createRedis(url: string, options: { failFast?: boolean } = {}): Redis {
  const redisOptions: RedisOptions = options.failFast
    ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
    : { maxRetriesPerRequest: null };
  const redis = new Redis(url, redisOptions);
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

/** Enqueues the job for an import whose row is already committed. */
export async function enqueueImport(queue: ImportsQueue, importId: string, attempts: number): Promise<void> {
  await queue.add(IMPORT_FILE_JOB, importFilePayload.parse({ importId }), {
    ...importJobOptions(attempts),
    jobId: importId,
  });
}
