import { chunkFence } from '../import-lifecycle';
import { storableText, storableTexts } from '../storable-text';
import { arrayLiteral } from './pg-arrays';

export interface RowErrorInput {
  /** Spreadsheet row number: the header is row 1. */
  row: number;
  level: 'error' | 'warning';
  column: string | null;
  code: string;
  message: string;
  value: string | null;
  /** The original cells of the row (stored for rejected rows only). */
  raw: readonly string[] | null;
}

/** What a chunk adds to its import's record, besides what its write statement counts. */
export interface ChunkRecord {
  importId: string;
  /** The checkpoint this chunk started from: the fence against a second worker on the same import. */
  fromRow: number;
  /** Spreadsheet row number of the last record of the chunk: the new checkpoint. */
  toRow: number;
  /** Non-empty records read: every one ends as exactly one outcome. */
  rows: number;
  skipped: number;
  failed: number;
  warnings: number;
  /**
   * Corrections for rows of earlier chunks that a row of this one supersedes (same key, later row): each
   * leaves the outcome it was counted under (negative numbers here) for `skipped` (counted in `skipped`).
   */
  adjust: { created: number; updated: number; unchanged: number };
  errors: readonly RowErrorInput[];
  maxStoredErrors: number;
  progressPercent: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

/** What a committed chunk added to its import's totals: its rows by outcome (superseded rows moved to `skipped`). */
export interface ChunkTotals {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

/** Names of the record's parameters, in the order `recordParams` gives their values. */
export const RECORD_PARAMS = [
  'import_id',
  'from_row',
  'to_row',
  'rows',
  'skipped',
  'failed',
  'warnings',
  'adjust_created',
  'adjust_updated',
  'adjust_unchanged',
  'max_stored_errors',
  'progress_percent',
  'rows_per_second',
  'eta_seconds',
  'e_row',
  'e_level',
  'e_column',
  'e_code',
  'e_message',
  'e_value',
  'e_raw',
] as const;
export type RecordParam = (typeof RECORD_PARAMS)[number];

export function recordParams(chunk: ChunkRecord): unknown[] {
  const e = chunk.errors;
  const values: Record<RecordParam, unknown> = {
    import_id: chunk.importId,
    from_row: chunk.fromRow,
    to_row: chunk.toRow,
    rows: chunk.rows,
    skipped: chunk.skipped,
    failed: chunk.failed,
    warnings: chunk.warnings,
    adjust_created: chunk.adjust.created,
    adjust_updated: chunk.adjust.updated,
    adjust_unchanged: chunk.adjust.unchanged,
    max_stored_errors: chunk.maxStoredErrors,
    progress_percent: chunk.progressPercent,
    rows_per_second: chunk.rowsPerSecond,
    eta_seconds: chunk.etaSeconds,
    e_row: arrayLiteral(e.map((x) => x.row)),
    e_level: arrayLiteral(e.map((x) => x.level)),
    e_column: arrayLiteral(e.map((x) => x.column)),
    e_code: arrayLiteral(e.map((x) => x.code)),
    e_message: arrayLiteral(e.map((x) => storableText(x.message))),
    e_value: arrayLiteral(e.map((x) => (x.value === null ? null : storableText(x.value)))),
    e_raw: arrayLiteral(e.map((x) => (x.raw ? JSON.stringify(storableTexts(x.raw)) : null))),
  };
  return RECORD_PARAMS.map((name) => values[name]);
}

/**
 * The tail of a chunk's statement, after the CTE `counts` (created, updated of the chunk's written rows):
 * stores the row errors (up to the import's cap) and advances the import's totals and checkpoint. When the
 * import is no longer at `from_row` or no longer `processing` (`chunkFence` of the import lifecycle: another
 * delivery got there first, or it was cancelled), it raises `importer_chunk_fenced` (SQLSTATE IMFNC), so the
 * whole statement, the chunk's writes included, rolls back. `p(name)` gives a parameter's placeholder;
 * `insertOnly` counts existing keys as skipped rather than unchanged. The statement answers one row: what
 * the chunk added to each total (`ChunkTotals`).
 */
export function recordChunkSql(p: (name: RecordParam) => string, options: { insertOnly: boolean; written: string }): string {
  const { insertOnly, written } = options;
  const untouched = `${written} - c.created - c.updated`;
  /** What the chunk adds to each of its import's totals: the update below, and the statement's answer. */
  const added: Record<keyof ChunkTotals, string> = {
    created: `c.created + ${p('adjust_created')}`,
    updated: `c.updated + ${p('adjust_updated')}`,
    unchanged: `${insertOnly ? '0' : untouched} + ${p('adjust_unchanged')}`,
    skipped: `${p('skipped')}${insertOnly ? ` + ${untouched}` : ''}`,
    failed: p('failed'),
  };
  return `
    stored AS (
      INSERT INTO "import_row_errors" ("import_id", "row", "level", "column", "code", "message", "value", "raw")
      SELECT ${p('import_id')}, e.row, e.level, e.col, e.code, e.message, e.value, e.raw::jsonb
      FROM unnest(${p('e_row')}::int4[], ${p('e_level')}::text[], ${p('e_column')}::text[], ${p('e_code')}::text[],
                  ${p('e_message')}::text[], ${p('e_value')}::text[], ${p('e_raw')}::text[])
        AS e(row, level, col, code, message, value, raw)
      LIMIT greatest(0, ${p('max_stored_errors')}::int - (SELECT "stored_errors" FROM "imports" WHERE "id" = ${p('import_id')}))
      RETURNING 1
    ),
    moved AS (
      UPDATE "imports" im SET
        "checkpoint_row" = ${p('to_row')},
        "rows_total" = im."rows_total" + ${p('rows')},
        "created" = im."created" + ${added.created},
        "updated" = im."updated" + ${added.updated},
        "unchanged" = im."unchanged" + ${added.unchanged},
        "skipped" = im."skipped" + ${added.skipped},
        "failed" = im."failed" + ${added.failed},
        "warnings" = im."warnings" + ${p('warnings')},
        "stored_errors" = im."stored_errors" + (SELECT count(*) FROM stored),
        "progress_percent" = ${p('progress_percent')},
        "rows_per_second" = ${p('rows_per_second')},
        "eta_seconds" = ${p('eta_seconds')},
        "updated_at" = now()
      FROM counts c
      WHERE im."id" = ${p('import_id')} AND im."checkpoint_row" = ${p('from_row')} AND ${chunkFence('im')}
      RETURNING 1
    )
    SELECT ${Object.entries(added)
      .map(([name, sum]) => `(${sum})::int AS ${name}`)
      .join(', ')},
      CASE WHEN EXISTS (SELECT 1 FROM moved) THEN 0 ELSE "importer_chunk_fenced"(${p('import_id')}::uuid) END AS fenced
    FROM counts c`;
}
