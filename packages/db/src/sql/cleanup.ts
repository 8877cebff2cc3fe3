import { FINISHED_STATUSES, IMPORT_TRANSITIONS } from '../import-lifecycle';
import type { Pool, Queryable } from '../pool';
import { categoriesTable } from './upsert-categories';
import { companiesTable } from './upsert-companies';
import { subcategoriesTable } from './upsert-subcategories';

/** Most rows one cleanup statement deletes or updates (docs/cleanup.md), so no statement runs long. */
export const CLEANUP_BATCH = 1_000;

/** Held by a running cleanup on a connection of its own; `release()` lets the next run take it. */
export interface CleanupLock {
  release(): Promise<void>;
}

/**
 * Takes the cleanup's advisory lock (one run at a time across every process); `undefined` when another run
 * holds it.
 */
export async function tryCleanupLock(pool: Pool): Promise<CleanupLock | undefined> {
  const connection = await pool.connect();
  let locked = false;
  try {
    const { rows } = await connection.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('importer:cleanup')) AS "locked"`);
    locked = rows[0]?.locked === true;
  } finally {
    if (!locked) connection.release();
  }
  if (!locked) return undefined;
  return {
    async release() {
      await connection.query(`SELECT pg_advisory_unlock(hashtext('importer:cleanup'))`).catch(() => undefined);
      connection.release();
    },
  };
}

/*
 * Only finished imports (`FINISHED_STATUSES`) are ever deleted or lose their file: a queued or running one
 * still needs it.
 */

/**
 * Deletes up to `limit` row errors of finished imports created before `before`. Called until it returns 0,
 * before the imports themselves, so that deleting an import never cascades to an unbounded number of rows.
 */
export async function deleteRowErrorsOfOldImports(db: Queryable, before: Date, limit = CLEANUP_BATCH): Promise<number> {
  const { rowCount } = await db.query({
    name: 'cleanup_delete_row_errors',
    text: `
      DELETE FROM "import_row_errors" WHERE "id" IN (
        SELECT e."id" FROM "imports" i JOIN "import_row_errors" e ON e."import_id" = i."id"
        WHERE i."created_at" < $1 AND i."status" = ANY($2::text[])
        LIMIT $3)`,
    values: [before, FINISHED_STATUSES, limit],
  });
  return rowCount ?? 0;
}

/**
 * Every lineage table. The lineage has no foreign key to "imports" (a chunk's statement, fenced on its import,
 * is its only writer: the per-row check cost half of the lineage insert), so deleting imports deletes their
 * lineage here; a new lineage table is added to this list.
 */
export const LINEAGE_TABLES: readonly string[] = [
  categoriesTable.lineageTable,
  subcategoriesTable.lineageTable,
  companiesTable.lineageTable,
];

/**
 * Deletes up to `limit` finished imports created before `before` that have no row errors left, and, in the same
 * statement, the lineage rows of every lineage table of the imports it deletes (usually none left:
 * `deleteLineageOfOldImports` runs first, so that this statement stays bounded).
 */
export async function deleteOldImports(db: Queryable, before: Date, limit = CLEANUP_BATCH): Promise<number> {
  const lineage = LINEAGE_TABLES.map(
    (table, n) => `, "lineage_${n}" AS (DELETE FROM "${table}" WHERE "import_id" IN (SELECT "id" FROM "deleted"))`,
  ).join('');
  const { rowCount } = await db.query({
    name: 'cleanup_delete_imports',
    text: `
      WITH "deleted" AS (
        DELETE FROM "imports" WHERE "id" IN (
          SELECT i."id" FROM "imports" i
          WHERE i."created_at" < $1 AND i."status" = ANY($2::text[])
            AND NOT EXISTS (SELECT 1 FROM "import_row_errors" e WHERE e."import_id" = i."id")
          LIMIT $3)
        RETURNING "id")${lineage}
      SELECT "id" FROM "deleted"`,
    values: [before, FINISHED_STATUSES, limit],
  });
  return rowCount ?? 0;
}

/**
 * Statuses whose lineage expires: imports that can be reverted, and reverted ones. (A failed or cancelled
 * import keeps its lineage, the write journal of a retry, until the import itself is deleted.)
 */
const LINEAGE_EXPIRES: readonly string[] = [...IMPORT_TRANSITIONS.revert.from, ...IMPORT_TRANSITIONS.finishRevert.to];

/**
 * Deletes up to `limit` lineage rows, of the lineage table `table`, of the imports whose `column` is before
 * `before` and whose status is one of `statuses`. Called until it returns 0, for each lineage table.
 */
async function deleteLineageRows(
  db: Queryable,
  name: string,
  table: string,
  imports: { column: 'created_at' | 'finished_at'; statuses: readonly string[] },
  before: Date,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query({
    name: `${name}_${table}`,
    text: `
      DELETE FROM "${table}" WHERE ("import_id", "seq") IN (
        SELECT l."import_id", l."seq" FROM "imports" i JOIN "${table}" l ON l."import_id" = i."id"
        WHERE i."${imports.column}" < $1 AND i."status" = ANY($2::text[])
        LIMIT $3)`,
    values: [before, imports.statuses, limit],
  });
  return rowCount ?? 0;
}

/** The lineage rows of finished imports created before `before`: the imports `deleteOldImports` deletes next. */
export const deleteLineageOfOldImports = (db: Queryable, table: string, before: Date, limit = CLEANUP_BATCH) =>
  deleteLineageRows(db, 'cleanup_delete_old_lineage', table, { column: 'created_at', statuses: FINISHED_STATUSES }, before, limit);

/** The lineage rows of imports finished before `before`: their revert window is over. */
export const deleteExpiredLineage = (db: Queryable, table: string, before: Date, limit = CLEANUP_BATCH) =>
  deleteLineageRows(db, 'cleanup_delete_lineage', table, { column: 'finished_at', statuses: LINEAGE_EXPIRES }, before, limit);

export interface StoredFileRef {
  id: string;
  fileKey: string;
}

/** Up to `limit` finished imports created before `before` whose file is still stored, oldest first. */
export async function selectFilesToPurge(db: Queryable, before: Date, limit = CLEANUP_BATCH): Promise<StoredFileRef[]> {
  const { rows } = await db.query<StoredFileRef>({
    name: 'cleanup_select_files',
    text: `
      SELECT "id", "file_key" AS "fileKey" FROM "imports"
      WHERE "file_purged_at" IS NULL AND "created_at" < $1 AND "status" = ANY($2::text[])
      ORDER BY "created_at", "id"
      LIMIT $3`,
    values: [before, FINISHED_STATUSES, limit],
  });
  return rows;
}

/** Marks imports whose file was removed: the record stays, with `purged` set. */
export async function markFilesPurged(db: Queryable, ids: readonly string[], at: Date): Promise<number> {
  if (ids.length > CLEANUP_BATCH) throw new RangeError(`at most ${CLEANUP_BATCH} imports per statement`);
  const { rowCount } = await db.query({
    name: 'cleanup_mark_purged',
    text: `UPDATE "imports" SET "file_purged_at" = $2 WHERE "id" = ANY($1::uuid[]) AND "file_purged_at" IS NULL`,
    values: [ids, at],
  });
  return rowCount ?? 0;
}

/** Of these stored-file keys, the ones an import still needs (its file not purged). */
export async function referencedFileKeys(db: Queryable, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length > CLEANUP_BATCH) throw new RangeError(`at most ${CLEANUP_BATCH} keys per statement`);
  const { rows } = await db.query<{ key: string }>({
    name: 'cleanup_referenced_keys',
    text: `SELECT "file_key" AS "key" FROM "imports" WHERE "file_key" = ANY($1::text[]) AND "file_purged_at" IS NULL`,
    values: [keys],
  });
  return new Set(rows.map((row) => row.key));
}

/** Deletes up to `limit` Idempotency-Key answers that expired by `now` (kept 24 h: docs/api.md). */
export async function deleteExpiredIdempotencyKeys(db: Queryable, now: Date, limit = CLEANUP_BATCH): Promise<number> {
  const { rowCount } = await db.query({
    name: 'cleanup_delete_idempotency_keys',
    text: `
      DELETE FROM "idempotency_keys" WHERE ("scope", "key") IN (
        SELECT "scope", "key" FROM "idempotency_keys" WHERE "expires_at" <= $1 LIMIT $2)`,
    values: [now, limit],
  });
  return rowCount ?? 0;
}
