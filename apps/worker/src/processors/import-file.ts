import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { finishImport } from '@importer/db';
import { BadFileError, runImport, UserAtCapError, type ChunkRows, type ImportEngineDeps, type ImportOutcome } from '@importer/imports';
import type { Metrics } from '@importer/metrics';
import { importFilePayload, type ImportFilePayload } from '@importer/queue';
import { countFinished } from '../finished-imports';
import { ImportTimeoutError, startDeadline, WorkerShutdownError, type Deadline } from '../interruptions';

export interface ImportFileDeps {
  engine: ImportEngineDeps;
  logger: Logger;
  /** Time limit of one attempt (`IMPORT_TIMEOUT_MIN`), in milliseconds. */
  timeoutMs?: number;
  /**
   * Aborted (with `WorkerShutdownError`) when the worker shuts down: running imports stop at their next
   * chunk boundary and their jobs go back to the queue.
   */
  shutdown?: AbortSignal;
  /** Starts an attempt's deadline; tests replace it to expire it at a chosen chunk. */
  deadline?: (timeoutMs: number, importId: string) => Deadline;
  /** Counts the imports this worker finishes (`importer_imports_finished_total`). */
  metrics?: Metrics;
  /**
   * First wait, in milliseconds, of an import whose user is at `IMPORTS_PER_USER` (`IMPORTS_PER_USER_WAIT_MS`);
   * each later wait of the same job doubles, up to 8 times it.
   */
  userCapWaitMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;

/**
 * Processor of the `import-file` job. What happens next depends on why an attempt ends:
 * - a bad file (or a stored file gone missing) fails the import at once, without retries
 *   (`UnrecoverableError`);
 * - the time limit fails it with code `timeout`, without retries, checkpoint kept: `POST /retry` resumes;
 * - a worker shutdown puts the job back in the queue, no attempt counted, for another worker to resume;
 * - anything else is transient: it is thrown so BullMQ retries with backoff, and the import fails only
 *   when the last attempt does.
 * Every attempt resumes from the import's checkpoint.
 */
export function importFileProcessor(deps: ImportFileDeps) {
  return async (job: Job<ImportFilePayload>, token?: string): Promise<ImportOutcome> => {
    const { importId } = importFilePayload.parse(job.data);
    const log = deps.logger.child({ importId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = (deps.deadline ?? startDeadline)(timeoutMs, importId);
    const signal = deps.shutdown ? AbortSignal.any([deps.shutdown, deadline.signal]) : deadline.signal;
    const counted = { metrics: deps.metrics, imports: deps.engine.imports, logger: log };
    const fail = async (error: { code: string; message: string }) => {
      if (await finishImport(deps.engine.pool, importId, 'failed', error)) await countFinished(counted, importId, 'failed');
    };
    try {
      const outcome = await runImport(deps.engine, importId, { signal, onClaimed: () => log.info('import started') });
      log.info(finishedLine(outcome), 'import finished');
      if (outcome.status === 'completed' || outcome.status === 'completed_with_errors')
        await countFinished(counted, importId, outcome.status);
      return outcome;
    } catch (error) {
      if (error instanceof UserAtCapError) {
        // Not an attempt: the job goes back (delayed) without holding this slot, and another user's import
        // can take it meanwhile. BullMQ counts no attempt for a `DelayedError`.
        const waitMs = userCapWait(deps.userCapWaitMs ?? DEFAULT_USER_CAP_WAIT_MS, job);
        try {
          await job.moveToDelayed(Date.now() + waitMs, token);
          log.info({ waitMs }, 'import waits: its user has the most imports running at once');
        } catch (moveError) {
          log.warn({ err: moveError }, 'could not delay the job; its lock expires and it is looked at again');
        }
        throw new DelayedError();
      }
      if (error instanceof WorkerShutdownError) {
        // Released, not failed: another worker (or this one, restarted) resumes from the checkpoint.
        try {
          await job.moveToWait(token);
          log.info('import released at shutdown; it resumes from its checkpoint on another worker');
        } catch (moveError) {
          log.warn({ err: moveError }, 'could not release the job; its lock expires and another worker takes it over');
        }
        throw new WaitingError();
      }
      if (error instanceof ImportTimeoutError) {
        log.warn({ timeoutMs }, 'import failed: timeout');
        await fail({ code: error.code, message: error.message });
        throw new UnrecoverableError(`timeout: ${error.message}`);
      }
      if (error instanceof BadFileError) {
        // The message is the product's; a library's error behind it (its `cause`) goes to the log only.
        log.warn({ code: error.code, err: error }, 'import failed: bad file');
        await fail({ code: error.code, message: error.message });
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        const message = 'The stored file of this import is missing (purged by the cleanup, or removed from the file store).';
        log.warn({ err: error }, 'import failed: file missing');
        await fail({ code: 'file_missing', message });
        throw new UnrecoverableError(`file_missing: ${message}`);
      }
      const attempts = job.opts.attempts ?? 1;
      const last = job.attemptsMade + 1 >= attempts;
      log.error({ err: error, last }, last ? 'import failed on its last attempt' : 'import attempt failed; will retry');
      if (last) await fail({ code: 'internal_error', message: internalErrorMessage(importId, attempts) });
      throw error;
    } finally {
      deadline.clear();
    }
  };
}

/**
 * The "import finished" log line's fields: how the attempt ended (`outcome`) and, when it ran to the end,
 * the chunk sizes it chose (`chunkRows`: min, median, max, chunks; the benchmark reads them).
 */
function finishedLine(outcome: ImportOutcome): { outcome: ImportOutcome } | { outcome: { status: string }; chunkRows: ChunkRows } {
  if (!('chunkRows' in outcome)) return { outcome };
  const { chunkRows, ...ended } = outcome;
  return { outcome: ended, chunkRows };
}

const DEFAULT_USER_CAP_WAIT_MS = 5_000;

/**
 * How long a capped import waits before it is looked at again: `baseMs`, doubled for each earlier wait of
 * the job (the deliveries BullMQ started that counted no attempt), up to 8 times `baseMs`.
 */
function userCapWait(baseMs: number, job: Job): number {
  const waits = Math.max(0, (job.attemptsStarted ?? 0) - job.attemptsMade - 1);
  return baseMs * 2 ** Math.min(waits, 3);
}

/**
 * What users are told of an unexpected error (a query that failed, a connection lost, a bug): never the
 * error's own message, which may hold SQL, server paths or another import's data. The worker's log has it,
 * under the import's id.
 */
function internalErrorMessage(importId: string, attempts: number): string {
  return (
    `The import stopped on an internal error (${attempts} attempt${attempts > 1 ? 's' : ''}); the rows written before it are kept. ` +
    `POST /imports/${importId}/retry resumes it; the worker's log has the details under this import's id.`
  );
}
