import type { CleanupCounts, CleanupRunStatus, CleanupRunView, CleanupTrigger } from '@importer/contracts';
import type { Queryable } from '../pool';
import { decodeIdCursor } from './cursors';

/** A cleanup run as `GET /api/v1/cleanup-runs` shows it: the contract's. */
export type { CleanupRunView };

interface CleanupRunRow {
  id: string;
  trigger: CleanupTrigger;
  status: CleanupRunStatus;
  started_at: Date;
  finished_at: Date | null;
  imports_before: Date;
  files_before: Date;
  imports_deleted: number;
  row_errors_deleted: number;
  files_purged: number;
  orphan_files_deleted: number;
  jobs_removed: number;
  lineage_deleted: number;
  error: string | null;
}

const toView = (row: CleanupRunRow): CleanupRunView => ({
  id: String(row.id),
  trigger: row.trigger,
  status: row.status,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  importsBefore: row.imports_before.toISOString(),
  filesBefore: row.files_before.toISOString(),
  counts: {
    importsDeleted: row.imports_deleted,
    rowErrorsDeleted: row.row_errors_deleted,
    filesPurged: row.files_purged,
    orphanFilesDeleted: row.orphan_files_deleted,
    jobsRemoved: row.jobs_removed,
    lineageDeleted: row.lineage_deleted,
  },
  error: row.error,
});

export const ZERO_COUNTS: CleanupCounts = {
  importsDeleted: 0,
  rowErrorsDeleted: 0,
  filesPurged: 0,
  orphanFilesDeleted: 0,
  jobsRemoved: 0,
  lineageDeleted: 0,
};

/** The record of cleanup runs: one row per run, written when it starts and when it ends. */
export function createCleanupRunsRepository(db: Queryable) {
  return {
    async start(run: {
      trigger: CleanupTrigger;
      status?: CleanupRunStatus;
      startedAt: Date;
      importsBefore: Date;
      filesBefore: Date;
    }): Promise<string> {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO "cleanup_runs" ("trigger", "status", "started_at", "finished_at", "imports_before", "files_before")
         VALUES ($1, $2::text, $3::timestamptz, CASE WHEN $2::text = 'running' THEN NULL ELSE $3::timestamptz END, $4, $5)
         RETURNING "id"`,
        [run.trigger, run.status ?? 'running', run.startedAt, run.importsBefore, run.filesBefore],
      );
      return String(rows[0]?.id);
    },

    async finish(
      id: string,
      result: { status: 'completed' | 'failed'; finishedAt: Date; counts: CleanupCounts; error?: string },
    ): Promise<void> {
      const c = result.counts;
      await db.query(
        `UPDATE "cleanup_runs" SET "status" = $2, "finished_at" = $3, "imports_deleted" = $4, "row_errors_deleted" = $5,
           "files_purged" = $6, "orphan_files_deleted" = $7, "jobs_removed" = $8, "error" = $9, "lineage_deleted" = $10
         WHERE "id" = $1`,
        [
          id,
          result.status,
          result.finishedAt,
          c.importsDeleted,
          c.rowErrorsDeleted,
          c.filesPurged,
          c.orphanFilesDeleted,
          c.jobsRemoved,
          result.error ?? null,
          c.lineageDeleted,
        ],
      );
    },

    async get(id: string): Promise<CleanupRunView | null> {
      const { rows } = await db.query<CleanupRunRow>(`SELECT * FROM "cleanup_runs" WHERE "id" = $1`, [id]);
      return rows[0] ? toView(rows[0]) : null;
    },

    /** Newest first, by id keyset; the cursor is the last id of the previous page (`InvalidCursorError` when not an id). */
    async list(page: { limit: number; cursor?: string }): Promise<{ items: CleanupRunView[]; nextCursor: string | null }> {
      const { rows } = await db.query<CleanupRunRow>(
        `SELECT * FROM "cleanup_runs" WHERE ($1::bigint IS NULL OR "id" < $1::bigint) ORDER BY "id" DESC LIMIT $2`,
        [page.cursor === undefined ? null : decodeIdCursor(page.cursor), page.limit + 1],
      );
      const items = rows.slice(0, page.limit).map(toView);
      return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
    },
  };
}
