import { enqueueImport, type ImportsQueue } from './catalog';

/**
 * - `added`: there was no job (Redis lost it, or it was never added); a new one was added.
 * - `replaced`: the job had finished (completed or failed) while the import still needs work; it was
 *   replaced by a fresh job with fresh attempts.
 * - `pending`: the job is still waiting, delayed or running, or it finished too recently to be judged
 *   (see `finishedBefore`); nothing to do now.
 */
export type RequeueResult = 'added' | 'replaced' | 'pending';

export interface RequeueOptions {
  /**
   * Replace a finished job only if it finished before this time (ms since the epoch). The reconciler
   * judges an import from a look at PostgreSQL taken before it reads the job: a job that finished after
   * that look may have finished the import meanwhile, and a job BullMQ failed for stalling too often is
   * failed before its worker records `worker_crashed`. Default: any finished job is replaced.
   */
  finishedBefore?: number;
}

/**
 * Makes sure an import that PostgreSQL says needs work (`queued`, or `processing` with no live worker) has
 * a job that will run: used by the reconciler and by `POST /imports/:id/retry`.
 *
 * The job id is the import id, so a finished job would turn a plain `add` into a no-op. A finished job is
 * therefore removed and added again rather than retried in place: the new job starts with clean counters
 * (attempts made, times stalled) and with today's options. A job still waiting or running is left alone;
 * should it belong to a worker that lost it, the stalled-job check hands it to another worker.
 */
export async function requeueImport(
  queue: ImportsQueue,
  importId: string,
  attempts: number,
  options: RequeueOptions = {},
): Promise<RequeueResult> {
  // The state first: completed and failed are final, so the job read after it carries its finishing time.
  const state = await queue.getJobState(importId);
  if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'pending';
  const job = await queue.getJob(importId);
  if (!job) {
    await enqueueImport(queue, importId, attempts);
    return 'added';
  }
  if (options.finishedBefore !== undefined && job.finishedOn !== undefined && job.finishedOn >= options.finishedBefore) return 'pending';
  try {
    await job.remove();
  } catch (error) {
    // Locked: a worker took it meanwhile (it was retried or picked up); that delivery will do the work.
    if ((await queue.getJob(importId).then((again) => again?.getState())) === 'active') return 'pending';
    throw error;
  }
  await enqueueImport(queue, importId, attempts);
  return 'replaced';
}
