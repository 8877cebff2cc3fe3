import type { Queue } from 'bullmq';
import { FINISHED_JOB_RETENTION } from './catalog';

/** Jobs removed per call, like every delete of the cleanup. */
const BATCH = 1_000;

/**
 * Removes, from each queue, the finished jobs that are old at `now` by `FINISHED_JOB_RETENTION` (completed
 * after 7 days, failed after 30), 1,000 at a time (`Queue.clean`). Catches what `removeOnComplete`/
 * `removeOnFail` left behind (jobs added before those options, or by other versions). Returns how many
 * jobs were removed.
 */
export async function sweepFinishedJobs(queues: readonly Queue[], now: Date): Promise<number> {
  let removed = 0;
  for (const queue of queues) {
    for (const type of ['completed', 'failed'] as const) {
      const before = now.getTime() - FINISHED_JOB_RETENTION[type].age * 1000;
      // BullMQ removes jobs finished before `Date.now() - grace`; a cutoff ahead of the real clock (a moved
      // clock in tests) means every finished job.
      const grace = Math.max(0, Date.now() - before);
      for (;;) {
        const ids = await queue.clean(grace, BATCH, type);
        removed += ids.length;
        if (ids.length < BATCH) break;
      }
    }
  }
  return removed;
}
