import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { finishImport } from '@importer/db';
import { IMPORTS_QUEUE, type ImportFilePayload } from '@importer/queue';
import type { ImportOutcome } from '@importer/imports';
import { countFinished } from './finished-imports';
import { importFileProcessor, type ImportFileDeps } from './processors/import-file';

export interface ImportWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** Imports started per minute across every worker sharing the queue. */
  importsPerMinute: number;
  /**
   * How long a job's lock lasts unless renewed (renewed every half of it while the event loop turns). A
   * killed worker's job is handed to another worker once its lock expires and a stalled check runs.
   */
  lockDuration?: number;
  /** How often this worker looks for jobs whose worker died. */
  stalledInterval?: number;
  /** Times a job may stall before it fails (`worker_crashed`) rather than crash workers forever. */
  maxStalledCount?: number;
}

/** BullMQ's reason for a job that stalled more than `maxStalledCount` times. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/** The BullMQ worker of the `imports` queue, not yet running until `run()`. */
export function createImportWorker(deps: ImportFileDeps & { logger: Logger }, options: ImportWorkerOptions) {
  const worker = new Worker<ImportFilePayload, ImportOutcome>(IMPORTS_QUEUE, importFileProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    limiter: { max: options.importsPerMinute, duration: 60_000 },
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    autorun: false,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'worker connection error'));
  worker.on('stalled', (jobId) => deps.logger.warn({ jobId }, 'job stalled (its worker stopped); handed to another worker'));
  worker.on('lockRenewalFailed', (jobIds) =>
    deps.logger.warn({ jobIds }, 'lost the lock of running jobs; the chunk fence keeps a second delivery from double counting'),
  );
  // A job that kept killing its workers is failed by BullMQ without reaching the processor: record why.
  worker.on('failed', (job, error) => {
    if (!job || error.message !== STALLED_TOO_OFTEN) return;
    const message = `The import's worker stopped ${options.maxStalledCount ?? 5}+ times while running it (crash, out of memory or killed); it was given up.`;
    finishImport(deps.engine.pool, job.data.importId, 'failed', { code: 'worker_crashed', message }).then(
      async (moved) => {
        deps.logger.error({ importId: job.data.importId }, 'import failed: its workers kept stopping');
        if (moved) await countFinished({ ...deps, imports: deps.engine.imports }, job.data.importId, 'failed');
      },
      (finishError: unknown) => deps.logger.error({ err: finishError, importId: job.data.importId }, 'could not record the failure'),
    );
  });
  return worker;
}

export { createRevertWorker } from './processors/revert-import';
