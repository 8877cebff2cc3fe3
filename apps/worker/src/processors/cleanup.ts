import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { CleanupRunView } from '@importer/db';
import { runCleanup, type CleanupDeps } from '@importer/imports';
import { cleanupPayload, type CleanupPayload } from '@importer/queue';

export interface CleanupJobDeps {
  cleanup: CleanupDeps;
  logger: Logger;
}

/** Processor of the `cleanup` job (nightly, from its job scheduler): one recorded cleanup run. */
export function cleanupProcessor(deps: CleanupJobDeps) {
  return async (job: Job<CleanupPayload>): Promise<CleanupRunView> => {
    const { trigger } = cleanupPayload.parse(job.data);
    let run: CleanupRunView;
    try {
      run = await runCleanup(deps.cleanup, trigger);
    } catch (error) {
      deps.logger.error({ err: error, trigger }, 'cleanup run failed');
      throw error;
    }
    deps.logger.info({ runId: run.id, status: run.status, counts: run.counts }, 'cleanup run finished');
    return run;
  };
}
