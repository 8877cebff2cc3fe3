import { Worker, type ConnectionOptions } from 'bullmq';
import type { CleanupRunView } from '@importer/db';
import { CLEANUP_QUEUE, scheduleCleanup, type CleanupPayload, type CleanupQueue, type CleanupSchedule } from '@importer/queue';
import { cleanupProcessor, type CleanupJobDeps } from './processors/cleanup';

/**
 * Registers every schedule this worker relies on. Each worker does it at start-up; the scheduler ids are
 * stable, so however many workers run there is one schedule (and one run per occurrence).
 */
export async function registerSchedules(cleanupQueue: CleanupQueue, cleanup: CleanupSchedule): Promise<void> {
  await scheduleCleanup(cleanupQueue, cleanup);
}

/** The worker of the `cleanup` queue: one run at a time; not running until `run()`. */
export function createCleanupWorker(deps: CleanupJobDeps, options: { connection: ConnectionOptions; prefix: string }) {
  const worker = new Worker<CleanupPayload, CleanupRunView>(CLEANUP_QUEUE, cleanupProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    autorun: false,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'cleanup worker connection error'));
  worker.on('failed', (_job, error) => deps.logger.error({ err: error }, 'cleanup run failed; it is recorded and the next one retries'));
  return worker;
}
