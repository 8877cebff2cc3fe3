import { opendir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { CleanupCounts, CleanupRunView, CleanupTrigger } from '@importer/contracts';
import type { Pool } from './pool';
import { createCleanupRunsRepository, ZERO_COUNTS } from './repositories/cleanup-runs';
import {
  CLEANUP_BATCH,
  deleteOldImports,
  deleteRowErrorsOfOldImports,
  markFilesPurged,
  referencedFileKeys,
  selectFilesToPurge,
} from './sql/cleanup';

const DAY_MS = 24 * 3600 * 1000;

/**
 * A stored file younger than this is never an orphan: an upload writes its file before its import row
 * commits, and a file that young may belong to an upload still in flight.
 */
export const ORPHAN_GRACE_MS = DAY_MS;

/** Uploads are stored under a random UUID; anything else in the folder is not ours to delete. */
const UPLOAD_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CleanupDeps {
  pool: Pool;
  storageDir: string;
  retention: {
    /** `RETAIN_IMPORTS_DAYS`: import records (and their row errors) older than this are deleted. */
    importsDays: number;
    /** `RETAIN_FILES_DAYS`: stored files older than this are removed; the import keeps a `purged` mark. */
    filesDays: number;
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
 * purged), import records older than `RETAIN_IMPORTS_DAYS` with their row errors, orphan files, and old
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

  const lock = await deps.pool.connect();
  let locked = false;
  try {
    const { rows } = await lock.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('importer:cleanup')) AS "locked"`);
    locked = rows[0]?.locked === true;
    if (!locked) {
      const id = await runs.start({ trigger, status: 'skipped', startedAt: now, importsBefore, filesBefore });
      return (await runs.get(id)) as CleanupRunView;
    }
    const id = await runs.start({ trigger, startedAt: now, importsBefore, filesBefore });
    const counts: CleanupCounts = { ...ZERO_COUNTS };
    try {
      counts.filesPurged = await purgeOldFiles(deps, filesBefore, now);
      counts.rowErrorsDeleted = await untilNone(deps.signal, () => deleteRowErrorsOfOldImports(deps.pool, importsBefore));
      counts.importsDeleted = await untilNone(deps.signal, () => deleteOldImports(deps.pool, importsBefore));
      counts.orphanFilesDeleted = await deleteOrphanFiles(deps, new Date(now.getTime() - ORPHAN_GRACE_MS));
      deps.signal?.throwIfAborted();
      counts.jobsRemoved = deps.sweepJobs ? await deps.sweepJobs(now) : 0;
      await runs.finish(id, { status: 'completed', finishedAt: clock(), counts });
    } catch (error) {
      await runs.finish(id, { status: 'failed', finishedAt: clock(), counts, error: (error as Error).message }).catch(() => undefined);
      throw error;
    }
    return (await runs.get(id)) as CleanupRunView;
  } finally {
    if (locked) await lock.query(`SELECT pg_advisory_unlock(hashtext('importer:cleanup'))`).catch(() => undefined);
    lock.release();
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

/** Removes a stored file; one already gone counts as removed (a previous run died before marking it). */
async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Files of finished imports older than the cutoff: removed first, then marked, 1,000 imports at a time. */
async function purgeOldFiles(deps: CleanupDeps, before: Date, now: Date): Promise<number> {
  let purged = 0;
  for (;;) {
    deps.signal?.throwIfAborted();
    const batch = await selectFilesToPurge(deps.pool, before);
    if (batch.length === 0) return purged;
    for (const { fileKey } of batch) await removeFile(path.join(deps.storageDir, path.basename(fileKey)));
    purged += await markFilesPurged(deps.pool, batch.map((file) => file.id), now);
    if (batch.length < CLEANUP_BATCH) return purged;
  }
}

/** Stored files no import needs any more (never recorded, or their import deleted), older than the grace. */
async function deleteOrphanFiles(deps: CleanupDeps, olderThan: Date): Promise<number> {
  let dir;
  try {
    dir = await opendir(deps.storageDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let deleted = 0;
  let names: string[] = [];
  const sweep = async () => {
    const candidates: string[] = [];
    for (const name of names) {
      const info = await stat(path.join(deps.storageDir, name)).catch(() => null);
      if (info?.isFile() && info.mtime < olderThan) candidates.push(name);
    }
    names = [];
    if (candidates.length === 0) return;
    const referenced = await referencedFileKeys(deps.pool, candidates);
    for (const name of candidates) {
      if (referenced.has(name)) continue;
      await removeFile(path.join(deps.storageDir, name));
      deleted++;
    }
  };
  for await (const entry of dir) {
    if (!entry.isFile() || !UPLOAD_KEY.test(entry.name)) continue;
    names.push(entry.name);
    if (names.length === CLEANUP_BATCH) {
      deps.signal?.throwIfAborted();
      await sweep();
    }
  }
  await sweep();
  return deleted;
}
