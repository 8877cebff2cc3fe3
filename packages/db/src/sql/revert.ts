import { revertFence } from '../import-lifecycle';
import type { Queryable } from '../pool';
import { cachedSql, keyMatch, lineageColumns, q, type UpsertTable } from './upsert';

/**
 * What a revert does (or, in a dry run, would do) to the keys an import created or updated (its lineage):
 * `reverted` (a created row deleted, an updated row given its before-image back), `kept` (changed since by a
 * later write, so left as it is), `failed` with a reason: `referenced` (a created row other rows reference
 * now: deleting it would take them along) or `missing` (the before-image references a row deleted since).
 */
export interface RevertCounts {
  reverted: number;
  kept: number;
  referenced: number;
  missing: number;
}

/**
 * The CTE `judged` over the lineage rows `batch` (alias `l`): each with the stored row's id (`tid`) and its
 * verdict. A row is `kept` when it is gone, or when its `updated_at` is no longer the one this import's
 * last write gave it (`after_updated_at`): every later write of an import or a sync sets `updated_at`, and a
 * later import's own revert puts it back. An updated row without a before-image is kept too.
 */
function judgedSql(spec: UpsertTable): string {
  const restorable = spec.restorable ?? 'true';
  return `judged AS (
      SELECT l.*, t."id" AS "tid", CASE
        WHEN t."id" IS NULL OR t."updated_at" IS DISTINCT FROM l."after_updated_at" OR (NOT l."created" AND l."updated_at" IS NULL) THEN 'kept'
        WHEN l."created" AND ${spec.referenced ?? 'false'} THEN 'referenced'
        WHEN NOT l."created" AND NOT ${restorable} THEN 'missing'
        ELSE 'revert' END AS "verdict"
      FROM batch l LEFT JOIN ${q(spec.table)} t ON ${keyMatch(spec, 't', 'l')})`;
}

/** Dry run of a revert: the counts over the whole lineage of the import, in one read-only statement. */
export async function planRevert(db: Queryable, spec: UpsertTable, importId: string): Promise<RevertCounts> {
  const name = `plan_revert_${spec.table}`;
  const text = cachedSql(
    name,
    () => `WITH batch AS (SELECT * FROM ${q(spec.lineageTable)} WHERE "import_id" = $1), ${judgedSql(spec)}
    SELECT count(*) FILTER (WHERE "verdict" = 'revert')::int AS "reverted", count(*) FILTER (WHERE "verdict" = 'kept')::int AS "kept",
           count(*) FILTER (WHERE "verdict" = 'referenced')::int AS "referenced", count(*) FILTER (WHERE "verdict" = 'missing')::int AS "missing"
    FROM judged`,
  );
  const { rows } = await db.query<RevertCounts>({ name, text, values: [importId] });
  return rows[0] ?? { reverted: 0, kept: 0, referenced: 0, missing: 0 };
}

/** Records how many lineage rows the revert goes through (its progress), once, at its first chunk. */
export async function countRevertRows(db: Queryable, spec: UpsertTable, importId: string): Promise<void> {
  await db.query({
    name: `count_revert_rows_${spec.table}`,
    text: `UPDATE "imports" SET "revert_rows" = (SELECT count(*) FROM ${q(spec.lineageTable)} WHERE "import_id" = $1)
           WHERE "id" = $1 AND "revert_rows" IS NULL`,
    values: [importId],
  });
}

export interface RevertChunk {
  importId: string;
  /** The revert's checkpoint: the last lineage row (`seq`) done; the fence. */
  from: string;
  /** Lineage rows per chunk. */
  limit: number;
}

export interface RevertChunkResult extends RevertCounts {
  /** Lineage rows this chunk went through; 0 when none was left. */
  processed: number;
  /** The new checkpoint. */
  last: string | null;
}

/** SQLSTATE raised by `importer_revert_fenced`. */
const REVERT_FENCED = 'IMRVF';

/**
 * One chunk of a revert, in one statement: the next `limit` lineage rows after the checkpoint are judged
 * (`judgedSql`); created rows to revert are deleted, updated ones restored, every business column and
 * `updated_at`; the import's revert counts and checkpoint advance, fenced on the checkpoint and on
 * `reverting` (else the statement raises `importer_revert_fenced` and rolls back whole). The delete and the
 * update re-check `updated_at` on the row they lock, so a write committed meanwhile wins: that row counts as
 * kept. Returns null when fenced.
 */
function buildRevertChunkSql(spec: UpsertTable): string {
  const image = [...lineageColumns(spec), 'updated_at'].map(q);
  const same = `t."updated_at" IS NOT DISTINCT FROM j."after_updated_at"`;
  return `
    WITH batch AS (SELECT * FROM ${q(spec.lineageTable)} WHERE "import_id" = $1 AND "seq" > $2::bigint ORDER BY "seq" LIMIT $3),
    ${judgedSql(spec)},
    removed AS (
      DELETE FROM ${q(spec.table)} t USING judged j
      WHERE j."verdict" = 'revert' AND j."created" AND t."id" = j."tid" AND ${same}${spec.referenced ? ` AND NOT ${spec.referenced}` : ''}
      RETURNING 1
    ),
    restored AS (
      UPDATE ${q(spec.table)} t SET (${image.join(', ')}) = (${image.map((c) => `j.${c}`).join(', ')})
      FROM judged j
      WHERE j."verdict" = 'revert' AND NOT j."created" AND t."id" = j."tid" AND ${same}
      RETURNING 1
    ),
    counts AS (
      SELECT count(*)::int AS "processed", max("seq")::text AS "last",
             ((SELECT count(*) FROM removed) + (SELECT count(*) FROM restored))::int AS "reverted",
             count(*) FILTER (WHERE "verdict" = 'referenced')::int AS "referenced",
             count(*) FILTER (WHERE "verdict" = 'missing')::int AS "missing"
      FROM judged
    ),
    moved AS (
      UPDATE "imports" im SET
        "revert_checkpoint" = c."last"::bigint,
        "revert_processed" = im."revert_processed" + c."processed",
        "revert_reverted" = im."revert_reverted" + c."reverted",
        "revert_kept" = im."revert_kept" + c."processed" - c."reverted" - c."referenced" - c."missing",
        "revert_failed_referenced" = im."revert_failed_referenced" + c."referenced",
        "revert_failed_missing" = im."revert_failed_missing" + c."missing",
        "updated_at" = now()
      FROM counts c
      WHERE im."id" = $1 AND im."revert_checkpoint" = $2::bigint AND c."processed" > 0 AND ${revertFence('im')}
      RETURNING 1
    )
    SELECT c."processed", c."last", c."reverted", c."processed" - c."reverted" - c."referenced" - c."missing" AS "kept",
           c."referenced", c."missing",
           CASE WHEN c."processed" = 0 OR EXISTS (SELECT 1 FROM moved) THEN 0 ELSE "importer_revert_fenced"($1::uuid) END AS "fenced"
    FROM counts c`;
}

export async function revertChunk(db: Queryable, spec: UpsertTable, chunk: RevertChunk): Promise<RevertChunkResult | null> {
  const name = `revert_chunk_${spec.table}`;
  const text = cachedSql(name, () => buildRevertChunkSql(spec));
  try {
    const { rows } = await db.query<RevertChunkResult>({ name, text, values: [chunk.importId, chunk.from, chunk.limit] });
    const row = rows[0];
    if (!row) return null;
    return {
      processed: row.processed,
      last: row.last,
      reverted: row.reverted,
      kept: row.kept,
      referenced: row.referenced,
      missing: row.missing,
    };
  } catch (error) {
    if ((error as { code?: string }).code === REVERT_FENCED) return null;
    throw error;
  }
}
