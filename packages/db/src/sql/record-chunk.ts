import type { Queryable } from '../pool';

export interface RowErrorInput {
  /** Spreadsheet row number: the header is row 1. */
  row: number;
  level: 'error' | 'warning';
  column: string | null;
  code: string;
  message: string;
  value: string | null;
  /** The original cells of the row. */
  raw: readonly string[] | null;
}

export interface ChunkRecord {
  importId: string;
  /** The checkpoint this chunk started from: the fence against a second worker on the same import. */
  fromRow: number;
  /** Spreadsheet row number of the last record of the chunk: the new checkpoint. */
  toRow: number;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
  warnings: number;
  errors: readonly RowErrorInput[];
  maxStoredErrors: number;
  progressPercent: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

/**
 * Stores a chunk's row errors (up to the import's cap) and advances its totals and checkpoint, in one
 * statement run inside the chunk's transaction. Returns false when the import is no longer at `fromRow` or
 * no longer `processing` (another delivery got there first, or it was cancelled): the caller must then
 * roll the chunk back.
 */
export async function recordChunk(db: Queryable, chunk: ChunkRecord): Promise<boolean> {
  const e = chunk.errors;
  const { rowCount } = await db.query({
    name: 'record_chunk',
    text: `
      WITH stored AS (
        INSERT INTO "import_row_errors" ("import_id", "row", "level", "column", "code", "message", "value", "raw")
        SELECT $1, e.row, e.level, e.col, e.code, e.message, e.value, e.raw::jsonb
        FROM unnest($2::int4[], $21::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
          AS e(row, level, col, code, message, value, raw)
        LIMIT greatest(0, $8::int - (SELECT "stored_errors" FROM "imports" WHERE "id" = $1))
        RETURNING 1
      )
      UPDATE "imports" SET
        "checkpoint_row" = $10,
        "rows_total" = "rows_total" + $11,
        "created" = "created" + $12,
        "updated" = "updated" + $13,
        "unchanged" = "unchanged" + $14,
        "skipped" = "skipped" + $15,
        "failed" = "failed" + $16,
        "warnings" = "warnings" + $17,
        "stored_errors" = "stored_errors" + (SELECT count(*) FROM stored),
        "progress_percent" = $18,
        "rows_per_second" = $19,
        "eta_seconds" = $20,
        "updated_at" = now()
      WHERE "id" = $1 AND "checkpoint_row" = $9 AND "status" = 'processing'`,
    values: [
      chunk.importId,
      e.map((x) => x.row),
      e.map((x) => x.column),
      e.map((x) => x.code),
      e.map((x) => x.message),
      e.map((x) => x.value),
      e.map((x) => (x.raw ? JSON.stringify(x.raw) : null)),
      chunk.maxStoredErrors,
      chunk.fromRow,
      chunk.toRow,
      chunk.rows,
      chunk.created,
      chunk.updated,
      chunk.unchanged,
      chunk.skipped,
      chunk.failed,
      chunk.warnings,
      chunk.progressPercent,
      chunk.rowsPerSecond,
      chunk.etaSeconds,
      e.map((x) => x.level),
    ],
  });
  return rowCount === 1;
}
