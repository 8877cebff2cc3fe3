import type { Queryable } from '../pool';
import { recordChunkSql, recordParams, RECORD_PARAMS, type ChunkRecord, type ChunkTotals, type RecordParam } from './record-chunk';
import {
  cachedSql,
  inputCte,
  inputParamCount,
  judgedCte,
  keyMatch,
  outcomeCte,
  q,
  updatableColumns,
  writtenCte,
  type UpsertTable,
  type WriteMode,
} from './upsert';

export interface ChunkWrite extends ChunkRecord {
  /**
   * The rows to write, as `inputParams` encodes them (keys unique once its dropped rows are left out):
   * encoded while the database still writes the previous chunk.
   */
  input: readonly string[];
}

/**
 * Everything a chunk changes, in one statement run inside the chunk's transaction:
 * 1. `written`: the set-based upsert of the chunk's rows (in a dry run, `judged`: what it would do);
 * 2. `undo`: the stored row of every key it updated, as it was before this import first changed it;
 * 3. `journal`: which file rows it created (those copied in before it, `copied_rows`, included) and updated;
 * 4. the row errors, and the import's totals and checkpoint, fenced on the expected checkpoint.
 * Parts 2 and 3 are the write journal: read only when a later row supersedes one of these rows.
 */
function buildWriteChunkSql(spec: UpsertTable, mode: WriteMode, dryRun: boolean): string {
  const base = inputParamCount(spec);
  const p = (name: RecordParam) => `$${base + RECORD_PARAMS.indexOf(name) + 1}`;
  const journalColumns = [...spec.key, ...updatableColumns(spec).map((c) => c.name), 'updated_at'].map(q).join(', ');
  const undo =
    dryRun || mode === 'insert_only'
      ? ''
      : `undo AS (
      INSERT INTO ${q(spec.undoTable)} ("import_id", ${journalColumns})
      SELECT ${p('import_id')}, ${[...spec.key, ...updatableColumns(spec).map((c) => c.name), 'updated_at'].map((c) => `o.${q(c)}`).join(', ')}
      FROM written w JOIN ${q(spec.table)} o ON ${keyMatch(spec, 'o', 'w')}
      WHERE NOT w.created
      ON CONFLICT DO NOTHING
    ),`;
  return `
    WITH ${inputCte(spec)},
    ${dryRun ? judgedCte(spec, mode) : writtenCte(spec, mode)},
    ${outcomeCte(spec, dryRun)},
    ${undo}
    journal AS (
      INSERT INTO "import_chunks" ("import_id", "from_row", "to_row", "created_rows", "updated_rows")
      SELECT ${p('import_id')}, ${p('from_row')}, ${p('to_row')}, j.created_rows, j.updated_rows
      FROM (
        SELECT array_cat(${p('copied_rows')}::int4[], coalesce(array_agg("row") FILTER (WHERE created), '{}')) AS created_rows,
               coalesce(array_agg("row") FILTER (WHERE NOT created), '{}') AS updated_rows
        FROM outcome
      ) j
      WHERE cardinality(j.created_rows) + cardinality(j.updated_rows) > 0
      ON CONFLICT DO NOTHING
    ),
    counts AS (
      SELECT count(*) FILTER (WHERE created)::int + cardinality(${p('copied_rows')}::int4[]) AS created,
             count(*) FILTER (WHERE NOT created)::int AS updated
      FROM outcome
    ),
    ${recordChunkSql(p, { insertOnly: mode === 'insert_only', written: `((SELECT count(*) FROM input)::int + cardinality(${p('copied_rows')}::int4[]))` })}`;
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
  const name = `write_chunk_${spec.table}_${mode}${dryRun ? '_dry' : ''}`;
  const text = cachedSql(name, () => buildWriteChunkSql(spec, mode, dryRun));
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
