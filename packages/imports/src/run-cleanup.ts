import type { CleanupCounts, CleanupRunView, CleanupTrigger } from '@importer/contracts';
import {
  CLEANUP_BATCH,
  createCleanupRunsRepository,
  deleteExpiredIdempotencyKeys,
  deleteOldImports,
  deleteRowErrorsOfOldImports,
  markFilesPurged,
  referencedFileKeys,
  selectFilesToPurge,
  tryCleanupLock,
  ZERO_COUNTS,
  deleteExpiredLineage,
  deleteLineageOfOldImports,
  LINEAGE_TABLES,
  type Pool,
} from '@importer/db';
import type { FileStore } from '@importer/storage';
import { fileStoreOf, removeStoredFile, storedFilesOlderThan } from './stored-files';

const DAY_MS = 24 * 3600 * 1000;

/**
 * A stored file younger than this is never an orphan: an upload writes its file before its import row
 * commits, and a file that young may belong to an upload still in flight.
 */
const ORPHAN_GRACE_MS = DAY_MS;

export interface CleanupDeps {
  pool: Pool;
  storageDir: string;
  /** Where the uploaded files are (STORAGE_DRIVER); default: the `fs` driver on `storageDir`. */
  fileStore?: FileStore;
  retention: {
    /** `RETAIN_IMPORTS_DAYS`: import records (and their row errors) older than this are deleted. */
    importsDays: number;
    /** `RETAIN_FILES_DAYS`: stored files older than this are removed; the import keeps a `purged` mark. */
    filesDays: number;
    /** `RETAIN_LINEAGE_DAYS`: the lineage of imports finished longer ago is removed (they can no longer be reverted). */
    lineageDays: number;
  };
  /** Removes finished queue jobs that are old at `now`; returns how many (BullMQ, supplied by the caller). */
  sweepJobs?: (now: Date) => Promise<number>;
  /** The clock; tests move it. */
  now?: () => Date;
  /** Aborted at shutdown: the run stops between two statements and is recorded as failed. */
  signal?: AbortSignal;
}

/**
 * The nightly cleanup (docs/cleanup.md): removes files older than `RETAIN_FILES_DAYS` (marking their imports
 * purged), import records older than `RETAIN_IMPORTS_DAYS` with their row errors and lineage, orphan files, expired
 * Idempotency-Key answers (not counted in the run's record), and old
 * finished jobs. Every statement touches at most 1,000 rows; every step is idempotent, so a run that dies
 * half-way is finished by the next one. One run at a time (a PostgreSQL advisory lock): a run that finds
 * another in progress is recorded as `skipped`. Each run is recorded with its counts.
 */
export async function runCleanup(deps: CleanupDeps, trigger: CleanupTrigger): Promise<CleanupRunView> {
  const clock = deps.now ?? (() => new Date());
  const now = clock();
  const importsBefore = new Date(now.getTime() - deps.retention.importsDays * DAY_MS);
  const filesBefore = new Date(now.getTime() - deps.retention.filesDays * DAY_MS);
  const runs = createCleanupRunsRepository(deps.pool);

  const lock = await tryCleanupLock(deps.pool);
  if (!lock) {
    const id = await runs.start({ trigger, status: 'skipped', startedAt: now, importsBefore, filesBefore });
    return (await runs.get(id)) as CleanupRunView;
  }
  try {
    const id = await runs.start({ trigger, startedAt: now, importsBefore, filesBefore });
    const counts: CleanupCounts = { ...ZERO_COUNTS };
    try {
      counts.filesPurged = await purgeOldFiles(deps, filesBefore, now);
      counts.lineageDeleted = await deleteLineage(deps, new Date(now.getTime() - deps.retention.lineageDays * DAY_MS));
      counts.rowErrorsDeleted = await untilNone(deps.signal, () => deleteRowErrorsOfOldImports(deps.pool, importsBefore));
      counts.lineageDeleted += await deleteLineageOf(deps, importsBefore);
      counts.importsDeleted = await untilNone(deps.signal, () => deleteOldImports(deps.pool, importsBefore));
      counts.orphanFilesDeleted = await deleteOrphanFiles(deps, new Date(now.getTime() - ORPHAN_GRACE_MS));
      await untilNone(deps.signal, () => deleteExpiredIdempotencyKeys(deps.pool, now));
      deps.signal?.throwIfAborted();
      counts.jobsRemoved = deps.sweepJobs ? await deps.sweepJobs(now) : 0;
      await runs.finish(id, { status: 'completed', finishedAt: clock(), counts });
    } catch (error) {
      // Shown by GET /cleanup-runs: in the product's words. The error itself (SQL, paths) is thrown to the caller,
      // which logs it (the worker's job log, the CLI's output).
      const message = deps.signal?.aborted
        ? 'The cleanup stopped at shutdown; the next run finishes it.'
        : 'The cleanup stopped on an error; the log of the process that ran it has the details. The next run finishes it.';
      await runs.finish(id, { status: 'failed', finishedAt: clock(), counts, error: message }).catch(() => undefined);
      throw error;
    }
    return (await runs.get(id)) as CleanupRunView;
  } finally {
    await lock.release();
  }
}

/** Repeats a bounded delete until it deletes nothing; returns the total. */
async function untilNone(signal: AbortSignal | undefined, step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const deleted = await step();
    total += deleted;
    if (deleted === 0) return total;
  }
}

/** The expired lineage of every profile's table, 1,000 rows a statement. */
async function deleteLineage(deps: CleanupDeps, before: Date): Promise<number> {
  let deleted = 0;
  for (const table of LINEAGE_TABLES) deleted += await untilNone(deps.signal, () => deleteExpiredLineage(deps.pool, table, before));
  return deleted;
}

/** The lineage of the imports about to be deleted (older than `RETAIN_IMPORTS_DAYS`), 1,000 rows a statement. */
async function deleteLineageOf(deps: CleanupDeps, importsBefore: Date): Promise<number> {
  let deleted = 0;
  for (const table of LINEAGE_TABLES)
    deleted += await untilNone(deps.signal, () => deleteLineageOfOldImports(deps.pool, table, importsBefore));
  return deleted;
}

/** Files of finished imports older than the cutoff: removed first, then marked, 1,000 imports at a time. */
async function purgeOldFiles(deps: CleanupDeps, before: Date, now: Date): Promise<number> {
  let purged = 0;
  for (;;) {
    deps.signal?.throwIfAborted();
    const batch = await selectFilesToPurge(deps.pool, before);
    if (batch.length === 0) return purged;
    for (const { fileKey } of batch) await removeStoredFile(fileStoreOf(deps), fileKey);
    purged += await markFilesPurged(
      deps.pool,
      batch.map((file) => file.id),
      now,
    );
    if (batch.length < CLEANUP_BATCH) return purged;
  }
}

/** Stored files no import needs any more (never recorded, or their import deleted), older than the grace. */
async function deleteOrphanFiles(deps: CleanupDeps, olderThan: Date): Promise<number> {
  const files = fileStoreOf(deps);
  // Uploads that died half-way (an `s3` multipart upload never completed or aborted) hold parts, not objects.
  let deleted = await files.abortStaleUploads(olderThan);
  for await (const candidates of storedFilesOlderThan(files, olderThan, CLEANUP_BATCH)) {
    deps.signal?.throwIfAborted();
    if (candidates.length === 0) continue;
    const referenced = await referencedFileKeys(deps.pool, candidates);
    for (const name of candidates) {
      if (referenced.has(name)) continue;
      await removeStoredFile(files, name);
      deleted++;
    }
  }
  return deleted;
}
