import type { Queryable } from '../pool';

/**
 * The answer to an operator's retry or cancel: `done` when the import moved, else why it did not
 * (`not_found`, `conflict` with the status that forbids it, or `file_purged` for a retry whose file the
 * cleanup removed).
 */
export type ImportActionResult =
  | { outcome: 'done' }
  | { outcome: 'not_found' }
  | { outcome: 'conflict'; status: string }
  | { outcome: 'file_purged' };

/** Statuses an operator may cancel, and may retry. */
export const CANCELLABLE_STATUSES = ['queued', 'processing'] as const;
export const RETRYABLE_STATUSES = ['failed', 'cancelled'] as const;

async function whyNot(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rows } = await db.query<{ status: string }>(`SELECT "status" FROM "imports" WHERE "id" = $1`, [id]);
  const row = rows[0];
  return row ? { outcome: 'conflict', status: row.status } : { outcome: 'not_found' };
}

/**
 * Cancels a queued or running import. The status flips now; a worker running it finds out at its next
 * chunk commit, which the chunk fence (`status = 'processing'`) rolls back, so the totals stay those of the
 * chunks committed before the cancel.
 */
export async function cancelImport(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = 'cancelled', "finished_at" = now(), "updated_at" = now(),
       "eta_seconds" = NULL, "rows_per_second" = NULL, "error_code" = NULL, "error_message" = NULL
     WHERE "id" = $1 AND "status" = ANY($2::text[])`,
    [id, CANCELLABLE_STATUSES],
  );
  return rowCount === 1 ? { outcome: 'done' } : whyNot(db, id);
}

/**
 * Puts a failed or cancelled import back to `queued`, keeping its checkpoint and totals: the next delivery
 * resumes after the last committed chunk. Refused when the stored file was purged.
 */
export async function requeueFinishedImport(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = 'queued', "finished_at" = NULL, "updated_at" = now(),
       "eta_seconds" = NULL, "rows_per_second" = NULL, "error_code" = NULL, "error_message" = NULL
     WHERE "id" = $1 AND "status" = ANY($2::text[]) AND "file_purged_at" IS NULL`,
    [id, RETRYABLE_STATUSES],
  );
  if (rowCount === 1) return { outcome: 'done' };
  const { rows } = await db.query<{ status: string; purged: boolean }>(
    `SELECT "status", "file_purged_at" IS NOT NULL AS "purged" FROM "imports" WHERE "id" = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return { outcome: 'not_found' };
  if (row.purged && (RETRYABLE_STATUSES as readonly string[]).includes(row.status)) return { outcome: 'file_purged' };
  return { outcome: 'conflict', status: row.status };
}
