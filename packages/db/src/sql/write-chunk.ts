import type { Queryable } from '../pool';
import { recordChunkSql, recordParams, RECORD_PARAMS, type ChunkRecord, type ChunkTotals, type RecordParam } from './record-chunk';
import { stagedInputCte } from './staging';
import { cachedSql, judgedCte, lineageColumns, outcomeCte, q, storedRow, writtenCte, type UpsertTable, type WriteMode } from './upsert';

export interface ChunkWrite extends ChunkRecord {
  /**
   * The parameters of the rows to write: for rows COPY staged earlier in the transaction (`copyStaged`),
   * the file rows to leave out (`stagedInputCte`: keys are then unique); for rows COPY inserted (`copied`),
   * their keys and file rows (`copiedInputCte`).
   */
  input: readonly string[];
  /** True when COPY inserted these rows earlier in the transaction: the statement records them, created. */
  copied?: boolean;
}

/**
 * Everything a chunk changes, in one statement run inside the chunk's transaction:
 * 1. `written`: the set-based upsert of the chunk's rows (in a dry run, `judged`: what it would do; for rows
 *    COPY inserted earlier in the transaction, their keys, all created: `copiedRowsCtes`);
 * 2. `lineage`: per key it created or updated, whether it created it, the stored row as it was before this
 *    import first changed it (read from the statement's snapshot, which the upsert's own writes do not reach)
 *    and the `updated_at` it has now; not in a dry run;
 * 3. `journal`: which file rows it created and updated;
 * 4. the row errors, and the import's totals and checkpoint, fenced on the expected checkpoint.
 * The lineage is also the write journal's before-images: read when a later row supersedes one of these rows,
 * and by a revert (docs/write-semantics.md).
 */
function buildWriteChunkSql(spec: UpsertTable, mode: WriteMode, dryRun: boolean, copied: boolean): string {
  const base = copied ? spec.key.length + 1 : 1;
  const p = (name: RecordParam) => `$${base + RECORD_PARAMS.indexOf(name) + 1}`;
  const image = [...lineageColumns(spec), 'updated_at'];
  const lineage = dryRun
    ? ''
    : copied
      ? copiedLineageCte(spec, p('import_id'))
      : `lineage AS (
      INSERT INTO ${q(spec.lineageTable)} ("import_id", ${[...spec.key, 'created', 'after_updated_at', ...image].map(q).join(', ')})
      SELECT ${p('import_id')}, ${spec.key.map((k) => `w.${q(k)}`).join(', ')}, w."created", w."updated_at", ${image.map((c) => `o.${q(c)}`).join(', ')}
      FROM written w ${storedRow(spec, 'o', 'w', 'NOT w."created"')}
      ON CONFLICT ("import_id", ${spec.key.map(q).join(', ')}) DO UPDATE SET "after_updated_at" = EXCLUDED."after_updated_at"
    ),`;
  const rows = dryRun
    ? [judgedCte(spec, mode), outcomeCte(spec, true)]
    : copied
      ? copiedRowsCtes(spec)
      : [writtenCte(spec, mode), outcomeCte(spec, false)];
  return `
    WITH ${copied ? copiedInputCte(spec) : stagedInputCte(spec)},
    ${rows.join(',\n    ')},
    ${lineage}
    journal AS (
      INSERT INTO "import_chunks" ("import_id", "from_row", "to_row", "created_rows", "updated_rows")
      SELECT ${p('import_id')}, ${p('from_row')}, ${p('to_row')}, j.created_rows, j.updated_rows
      FROM (
        SELECT coalesce(array_agg("row") FILTER (WHERE created), '{}') AS created_rows,
               coalesce(array_agg("row") FILTER (WHERE NOT created), '{}') AS updated_rows
        FROM outcome
      ) j
      WHERE cardinality(j.created_rows) + cardinality(j.updated_rows) > 0
      ON CONFLICT DO NOTHING
    ),
    counts AS (
      SELECT count(*) FILTER (WHERE created)::int AS created, count(*) FILTER (WHERE NOT created)::int AS updated
      FROM outcome
    ),
    ${recordChunkSql(p, { insertOnly: mode === 'insert_only', written: `(SELECT count(*) FROM input)::int` })}`;
}

/**
 * `written` and `outcome` for rows COPY inserted in this transaction: every one created by this chunk, its
 * `updated_at` the column's default, the transaction's `now()` (rounded alike when stored), so nothing is
 * read back from the table.
 */
function copiedRowsCtes(spec: UpsertTable): string[] {
  return [
    `written AS (SELECT ${spec.key.map((k) => `i.${q(k)}`).join(', ')}, true AS "created", now() AS "updated_at" FROM input i)`,
    `outcome AS (SELECT i."row", true AS "created" FROM input i)`,
  ];
}

/**
 * The lineage of rows COPY inserted: created keys, no before-image. A plain INSERT (no ON CONFLICT, no join):
 * a key this import already has a lineage row for cannot have been copied in (an earlier row of the same key
 * makes the chunk upserted), and should one exist after all, its unique violation rolls the chunk back to be
 * upserted, as a copied key that exists does (`ChunkWriter`).
 */
function copiedLineageCte(spec: UpsertTable, importId: string): string {
  return `lineage AS (
      INSERT INTO ${q(spec.lineageTable)} ("import_id", ${[...spec.key, 'created', 'after_updated_at'].map(q).join(', ')})
      SELECT ${importId}, ${spec.key.map((k) => `w.${q(k)}`).join(', ')}, true, w."updated_at" FROM written w
    ),`;
}

/**
 * The CTE `input` of rows COPY inserted: only their keys and file rows travel (`ChunkEncoding.copy`), the rows
 * themselves being in the table already. None is dropped (a chunk with dropped rows is upserted).
 */
function copiedInputCte(spec: UpsertTable): string {
  const types = spec.key.map((k) => spec.columns.find((c) => c.name === k)?.type ?? 'text');
  const params = [...types.map((type, n) => `$${n + 1}::${type}[]`), `$${types.length + 1}::int4[]`];
  return `input AS (SELECT * FROM unnest(${params.join(', ')}) AS i(${[...spec.key.map(q), '"row"'].join(', ')}))`;
}

/** SQLSTATE raised by `importer_chunk_fenced`. */
const CHUNK_FENCED = 'IMFNC';

/**
 * Writes one chunk (see `buildWriteChunkSql`) and records it, in one statement: atomic on its own (no
 * BEGIN/COMMIT needed) unless the caller runs it in a transaction with other statements. Returns what the
 * chunk added to its import's totals, or null when the import was fenced (moved on or cancelled): the
 * statement was rolled back (inside a transaction, the caller must roll that back).
 */
export async function writeChunk(
  db: Queryable,
  spec: UpsertTable,
  mode: WriteMode,
  dryRun: boolean,
  chunk: ChunkWrite,
): Promise<ChunkTotals | null> {
  const copied = chunk.copied === true;
  const name = `write_chunk_${spec.table}_${mode}${dryRun ? '_dry' : ''}${copied ? '_copied' : ''}`;
  const text = cachedSql(name, () => buildWriteChunkSql(spec, mode, dryRun, copied));
  const values = [...chunk.input, ...recordParams(chunk)];
  try {
    const { rows } = await db.query<ChunkTotals>({ name, text, values });
    const added = rows[0];
    return added
      ? { created: added.created, updated: added.updated, unchanged: added.unchanged, skipped: added.skipped, failed: added.failed }
      : null;
  } catch (error) {
    if ((error as { code?: string }).code === CHUNK_FENCED) return null;
    throw error;
  }
}
