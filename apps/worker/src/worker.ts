import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { IMPORTS_QUEUE, type ImportFilePayload } from '@importer/queue';
import type { ImportOutcome } from '@importer/imports';
import { importFileProcessor, type ImportFileDeps } from './processors/import-file';

export interface ImportWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** Imports started per minute across every worker sharing the queue. */
  importsPerMinute: number;
}

/** The BullMQ worker of the `imports` queue, not yet running until `run()`. */
export function createImportWorker(deps: ImportFileDeps & { logger: Logger }, options: ImportWorkerOptions) {
  const worker = new Worker<ImportFilePayload, ImportOutcome>(IMPORTS_QUEUE, importFileProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    limiter: { max: options.importsPerMinute, duration: 60_000 },
    autorun: false,
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'worker connection error'));
  return worker;
}
