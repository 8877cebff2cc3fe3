import {
  ACTIVE_STATUSES,
  IMPORT_TRANSITIONS,
  isAllowed,
  REVERTING_STATUSES,
  type ImportStatus,
  type StatusAfter,
} from '@importer/contracts';
import type { Pool, Queryable } from './pool';
import { finishedWithOutbox, webhookOutbox } from './sql/webhook-outbox';
import { storableText } from './storable-text';

export {
  ACTIVE_STATUSES,
  FINISHED_STATUSES,
  REVERTING_STATUSES,
  IMPORT_STATUSES,
  IMPORT_TRANSITIONS,
  isAllowed,
  type ImportAction,
  type ImportStatus,
} from '@importer/contracts';

/*
 * The import lifecycle in the database: the one module that writes `imports.status`. `IMPORT_TRANSITIONS`
 * (@importer/contracts) is the table; each action below is one `UPDATE … WHERE "status" = ANY(<from>)`, so
 * two actions racing on an import serialise on its row and only the one the table still allows moves it.
 * All run on plain `pg` (a pool, or the client of a transaction). Other statements that read statuses
 * (the cleanup, the stats, the chunk fence) take them from here.
 */

/** The status in which chunks commit: the one a claim sets. */
const CHUNK_STATUS = 'processing' satisfies StatusAfter<'claim'>;

/**
 * `column IN ('…', …)`, for statements built as text (the chunk statement, the stats). The statuses are the
 * table's constants, never input.
 */
export function statusIn(column: string, statuses: readonly ImportStatus[]): string {
  return `${column} IN (${statuses.map((status) => `'${status}'`).join(', ')})`;
}

/**
 * The chunk fence: a condition of the update by which a chunk's statement (`sql/record-chunk.ts`) advances
 * its import. Chunks commit only while the import is `processing`; after a cancel, or after another delivery
 * finished the import, the chunk's statement raises and rolls back whole.
 */
export const chunkFence = (alias: string) => statusIn(`${alias}."status"`, [CHUNK_STATUS]);

/**
 * `claim`: a delivery of the import's job starts an attempt. `queued`, or `processing` (a resumed attempt),
 * becomes `processing` and counts the attempt. False when the import is finished (a duplicate delivery).
 */
export async function claimImport(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = $2, "attempts" = "attempts" + 1,
       "started_at" = COALESCE("started_at", now()), "updated_at" = now()
     WHERE "id" = $1 AND "status" = ANY($3::text[])`,
    [id, CHUNK_STATUS, IMPORT_TRANSITIONS.claim.from],
  );
  return rowCount === 1;
}

/** How a capped claim ended: `claimed`; `not_claimable` (finished: a duplicate delivery); `user_at_cap` (it waits). */
export type CappedClaim = 'claimed' | 'not_claimable' | 'user_at_cap';

/**
 * `claim`, with at most `perUser` imports of one user (`created_by`) `processing` at once across every
 * worker (`IMPORTS_PER_USER`, docs/failure-modes.md). The claims of one user serialise on a
 * transaction-scoped advisory lock of that user, taken before the update (whose snapshot then sees every
 * claim committed before it), so two workers racing cannot both take the last place. An import already
 * `processing` (a resumed attempt) is not counted against itself, and an import without `created_by` is
 * not capped. Nothing changes when the answer is `user_at_cap`.
 */
export async function claimImportWithinCap(pool: Pool, id: string, perUser: number): Promise<CappedClaim> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('importer:user-imports' || chr(31) || "created_by", 0))
       FROM "imports" WHERE "id" = $1 AND "created_by" IS NOT NULL`,
      [id],
    );
    const { rows } = await client.query<{ claimed: boolean; claimable: boolean }>(
      `WITH claimed AS (
         UPDATE "imports" AS i SET "status" = $2, "attempts" = i."attempts" + 1,
           "started_at" = COALESCE(i."started_at", now()), "updated_at" = now()
         WHERE i."id" = $1 AND i."status" = ANY($3::text[])
           AND (i."status" = $2 OR i."created_by" IS NULL
             OR (SELECT count(*) FROM "imports" AS o WHERE o."created_by" = i."created_by" AND o."status" = $2) < $4)
         RETURNING i."id"
       )
       SELECT EXISTS (SELECT 1 FROM claimed) AS "claimed",
         EXISTS (SELECT 1 FROM "imports" WHERE "id" = $1 AND "status" = ANY($3::text[])) AS "claimable"`,
      [id, CHUNK_STATUS, IMPORT_TRANSITIONS.claim.from, perUser],
    );
    await client.query('COMMIT');
    const row = rows[0]!;
    if (row.claimed) return 'claimed';
    return row.claimable ? 'user_at_cap' : 'not_claimable';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * `sync`: the import of a sync batch, recorded `queued` a moment before in the batch's transaction, starts
 * (`processing`, so that its chunk commits). It counts no attempt: no job carries it. False when it is not
 * `queued`.
 */
export async function beginSyncImport(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = $2, "started_at" = now(), "updated_at" = now()
     WHERE "id" = $1 AND "status" = ANY($3::text[])`,
    [id, CHUNK_STATUS satisfies StatusAfter<'sync'>, IMPORT_TRANSITIONS.sync.from],
  );
  return rowCount === 1;
}

/**
 * `finish`: sets a final status, with the error of a failure. Only an import still `processing` moves: false
 * when it is not (cancelled meanwhile, or finished by another delivery), and it keeps its status. The same
 * statement records the import's webhook deliveries (`sql/webhook-outbox.ts`).
 */
export async function finishImport(
  db: Queryable,
  id: string,
  status: StatusAfter<'finish'>,
  error?: { code: string; message: string },
): Promise<boolean> {
  const completed = status !== 'failed';
  const { rows } = await db.query(
    `WITH finished AS (
       UPDATE "imports" SET "status" = $2, "error_code" = $3, "error_message" = $4, "finished_at" = now(), "updated_at" = now(),
         "eta_seconds" = CASE WHEN $5 THEN 0 END,
         "progress_percent" = CASE WHEN $5 THEN 100 ELSE "progress_percent" END
       WHERE "id" = $1 AND "status" = ANY($6::text[])
       RETURNING *
     ), ${webhookOutbox('finished')}
     ${finishedWithOutbox('finished')}`,
    [id, status, error?.code ?? null, error ? storableText(error.message) : null, completed, IMPORT_TRANSITIONS.finish.from],
  );
  return rows.length === 1;
}

/**
 * The answer to an operator's retry or cancel: `done` when the import moved, else why it did not
 * (`not_found`, `conflict` with the status that forbids it, or `file_purged` for a retry whose file the
 * cleanup removed).
 */
export type ImportActionResult =
  { outcome: 'done' } | { outcome: 'not_found' } | { outcome: 'conflict'; status: string } | { outcome: 'file_purged' };

async function whyNot(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rows } = await db.query<{ status: string }>(`SELECT "status" FROM "imports" WHERE "id" = $1`, [id]);
  const row = rows[0];
  return row ? { outcome: 'conflict', status: row.status } : { outcome: 'not_found' };
}

/**
 * `cancel`: a queued or running import becomes `cancelled`. The status flips now; a worker running it finds
 * out at its next chunk commit, which the chunk fence rolls back, so the totals stay those of the chunks
 * committed before the cancel. The same statement records the import's webhook deliveries.
 */
export async function cancelImport(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rows } = await db.query(
    `WITH finished AS (
       UPDATE "imports" SET "status" = $2, "finished_at" = now(), "updated_at" = now(),
         "eta_seconds" = NULL, "rows_per_second" = NULL, "error_code" = NULL, "error_message" = NULL
       WHERE "id" = $1 AND "status" = ANY($3::text[])
       RETURNING *
     ), ${webhookOutbox('finished')}
     ${finishedWithOutbox('finished')}`,
    [id, 'cancelled' satisfies StatusAfter<'cancel'>, IMPORT_TRANSITIONS.cancel.from],
  );
  return rows.length === 1 ? { outcome: 'done' } : whyNot(db, id);
}

/**
 * `retry`: a failed or cancelled import goes back to `queued`, keeping its checkpoint and totals: the next
 * delivery resumes after the last committed chunk. Refused when the stored file was purged.
 */
export async function retryImport(db: Queryable, id: string): Promise<ImportActionResult> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = $2, "finished_at" = NULL, "updated_at" = now(),
       "eta_seconds" = NULL, "rows_per_second" = NULL, "error_code" = NULL, "error_message" = NULL
     WHERE "id" = $1 AND "status" = ANY($3::text[]) AND "file_purged_at" IS NULL`,
    [id, 'queued' satisfies StatusAfter<'retry'>, IMPORT_TRANSITIONS.retry.from],
  );
  if (rowCount === 1) return { outcome: 'done' };
  const { rows } = await db.query<{ status: ImportStatus; purged: boolean }>(
    `SELECT "status", "file_purged_at" IS NOT NULL AS "purged" FROM "imports" WHERE "id" = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return { outcome: 'not_found' };
  if (row.purged && isAllowed('retry', row.status)) return { outcome: 'file_purged' };
  return { outcome: 'conflict', status: row.status };
}

/** The status in which revert chunks commit: the one a revert sets. */
const REVERT_STATUS = 'reverting' satisfies StatusAfter<'revert'>;

/**
 * The revert fence: a condition of the update by which a revert chunk's statement (`sql/revert.ts`) advances
 * the revert's checkpoint. Revert chunks commit only while the import is `reverting`.
 */
export const revertFence = (alias: string) => statusIn(`${alias}."status"`, [REVERT_STATUS]);

/** Why a revert was refused, besides the status (`conflict`): a dry run wrote nothing; the lineage expired. */
export type RevertStartResult = ImportActionResult | { outcome: 'dry_run' } | { outcome: 'lineage_expired' };

/**
 * `revert`: a completed (or completed with errors) import that wrote something (not a dry run) and whose
 * lineage is younger than `retainDays` (counted from its end) becomes `reverting`, its revert counters reset;
 * its revert job then goes through its lineage. Refused otherwise, saying why.
 */
export async function startRevert(
  db: Queryable,
  id: string,
  options: { retainDays: number; requestedBy: string | null },
): Promise<RevertStartResult> {
  const { rowCount } = await db.query(
    `UPDATE "imports" SET "status" = $2, "revert_requested_by" = $3, "revert_started_at" = now(), "revert_finished_at" = NULL,
       "revert_rows" = NULL, "revert_checkpoint" = 0, "revert_processed" = 0, "revert_reverted" = 0, "revert_kept" = 0,
       "revert_failed_referenced" = 0, "revert_failed_missing" = 0, "updated_at" = now()
     WHERE "id" = $1 AND "status" = ANY($4::text[]) AND NOT coalesce(("options"->>'dryRun')::boolean, false)
       AND "finished_at" > now() - make_interval(days => $5)`,
    [id, REVERT_STATUS, options.requestedBy, IMPORT_TRANSITIONS.revert.from, options.retainDays],
  );
  if (rowCount === 1) return { outcome: 'done' };
  return revertability(db, id, options.retainDays);
}

/**
 * Whether the import can be reverted now (`done`), else why not, changing nothing: the dry run of a revert
 * checks this first, and `startRevert` says it when it refuses.
 */
export async function revertability(db: Queryable, id: string, retainDays: number): Promise<RevertStartResult> {
  const { rows } = await db.query<{ status: ImportStatus; dryRun: boolean; expired: boolean }>(
    `SELECT "status", coalesce(("options"->>'dryRun')::boolean, false) AS "dryRun",
       "finished_at" IS NULL OR "finished_at" <= now() - make_interval(days => $2) AS "expired"
     FROM "imports" WHERE "id" = $1`,
    [id, retainDays],
  );
  const row = rows[0];
  if (!row) return { outcome: 'not_found' };
  if (!isAllowed('revert', row.status)) return { outcome: 'conflict', status: row.status };
  if (row.dryRun) return { outcome: 'dry_run' };
  return row.expired ? { outcome: 'lineage_expired' } : { outcome: 'done' };
}

/**
 * `finishRevert`: the revert job went through the whole lineage; the import is `reverted`, a final status, so
 * the same statement records its webhook deliveries (the record then carries the revert's counts). False
 * when it was not reverting.
 */
export async function finishRevert(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH finished AS (
       UPDATE "imports" SET "status" = $2, "revert_finished_at" = now(), "updated_at" = now()
       WHERE "id" = $1 AND "status" = ANY($3::text[])
       RETURNING *
     ), ${webhookOutbox('finished')}
     ${finishedWithOutbox('finished')}`,
    [id, 'reverted' satisfies StatusAfter<'finishRevert'>, IMPORT_TRANSITIONS.finishRevert.from],
  );
  return rows.length === 1;
}

/**
 * Imports whose revert runs (`reverting`) untouched for `idleMs`: the reconciler makes sure each has a revert
 * job (a running revert commits chunks, and touches its row, far more often).
 */
export async function idleReverts(db: Queryable, idleMs: number, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT "id" FROM "imports" WHERE "status" = ANY($1::text[]) AND "updated_at" < now() - make_interval(secs => $2)
     ORDER BY "updated_at" LIMIT $3`,
    [REVERTING_STATUSES, idleMs / 1000, limit],
  );
  return rows.map((row) => row.id);
}

export interface ImportRef {
  id: string;
  createdAt: Date;
}

/**
 * Active imports (`queued`, `processing`: work left) untouched for `idleMs`, oldest first, after `after`:
 * one page of the reconciler's pass, which makes sure each has a job. A running import commits chunks (and
 * touches its row) far more often than the idle time.
 */
export async function idleActiveImports(
  db: Queryable,
  page: { idleMs: number; after: ImportRef | null; limit: number },
): Promise<ImportRef[]> {
  const { rows } = await db.query<ImportRef>(
    `SELECT "id", "created_at" AS "createdAt" FROM "imports"
     WHERE "status" = ANY($1::text[]) AND "updated_at" < now() - make_interval(secs => $2)
       AND ($3::timestamptz IS NULL OR ("created_at", "id") > ($3, $4::uuid))
     ORDER BY "created_at", "id" LIMIT $5`,
    [ACTIVE_STATUSES, page.idleMs / 1000, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}
