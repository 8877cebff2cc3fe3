import { WaitingError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { runRevert, type RevertEngineDeps, type RevertOutcome } from '@importer/imports';
import { REVERTS_QUEUE, revertImportPayload, type RevertImportPayload } from '@importer/queue';
import { WorkerShutdownError } from '../interruptions';

export interface RevertJobDeps {
  engine: RevertEngineDeps;
  logger: Logger;
  /** Aborted (with `WorkerShutdownError`) at shutdown: the revert stops after its chunk in flight, its job goes back to the queue. */
  shutdown?: AbortSignal;
}

/**
 * Processor of the `revert-import` job: runs the revert from its checkpoint (`runRevert`). A shutdown puts
 * the job back in the queue; any other error is thrown for BullMQ to retry with backoff, each attempt
 * resuming from the checkpoint. Should every attempt fail, the import stays `reverting` (its counts so far
 * shown) and an operator's next `POST /imports/:id/revert` resumes it.
 */
function revertImportProcessor(deps: RevertJobDeps) {
  return async (job: Job<RevertImportPayload>, token?: string): Promise<RevertOutcome> => {
    const { importId } = revertImportPayload.parse(job.data);
    const log = deps.logger.child({ importId, jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      log.info('revert started');
      const outcome = await runRevert(deps.engine, importId, { signal: deps.shutdown });
      log.info({ outcome }, 'revert finished');
      return outcome;
    } catch (error) {
      if (error instanceof WorkerShutdownError) {
        try {
          await job.moveToWait(token);
          log.info('revert released at shutdown; it resumes from its checkpoint on another worker');
        } catch (moveError) {
          log.warn({ err: moveError }, 'could not release the revert job; its lock expires and another worker takes it over');
        }
        throw new WaitingError();
      }
      log.error({ err: error }, 'revert attempt failed; it resumes from its checkpoint at the next attempt');
      throw error;
    }
  };
}

export interface RevertWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
}

/** The BullMQ worker of the `reverts` queue, not yet running until `run()`. */
export function createRevertWorker(deps: RevertJobDeps, options: RevertWorkerOptions) {
  const worker = new Worker<RevertImportPayload, RevertOutcome>(REVERTS_QUEUE, revertImportProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    autorun: false,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'revert worker connection error'));
  worker.on('stalled', (jobId) => deps.logger.warn({ jobId }, 'revert job stalled (its worker stopped); handed to another worker'));
  return worker;
}
