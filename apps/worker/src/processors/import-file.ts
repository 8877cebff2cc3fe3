import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { ImportsRepository } from '@importer/db';
import { BadFileError, runImport, type ImportEngineDeps, type ImportOutcome } from '@importer/imports';
import { importFilePayload, type ImportFilePayload } from '@importer/queue';

export interface ImportFileDeps {
  engine: ImportEngineDeps;
  imports: ImportsRepository;
  logger: Logger;
}

/**
 * Processor of the `import-file` job. A bad file fails the import at once, without retries; any other
 * error is transient: it is thrown so BullMQ retries with backoff, and the import fails only when the
 * last attempt does. Every attempt resumes from the import's checkpoint.
 */
export function importFileProcessor(deps: ImportFileDeps) {
  return async (job: Job<ImportFilePayload>): Promise<ImportOutcome> => {
    const { importId } = importFilePayload.parse(job.data);
    const log = deps.logger.child({ importId, jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      const outcome = await runImport(deps.engine, importId);
      log.info({ outcome }, 'import finished');
      return outcome;
    } catch (error) {
      if (error instanceof BadFileError) {
        log.warn({ code: error.code, reason: error.message }, 'import failed: bad file');
        await deps.imports.finish(importId, 'failed', { code: error.code, message: error.message });
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      const attempts = job.opts.attempts ?? 1;
      const last = job.attemptsMade + 1 >= attempts;
      log.error({ err: error, last }, last ? 'import failed on its last attempt' : 'import attempt failed; will retry');
      if (last) {
        const message = `Failed after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${(error as Error).message}`;
        await deps.imports.finish(importId, 'failed', { code: 'internal_error', message });
      }
      throw error;
    }
  };
}
