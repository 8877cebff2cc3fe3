import type { Queryable } from '../pool';

/** A rejected row of an import: its original cells and every error found on it, in column order. */
export interface RejectedRow {
  row: number;
  /** The row's cells as read from the file (null when they were not stored). */
  raw: string[] | null;
  errors: { column: string | null; code: string; message: string }[];
}

interface ErrorRow {
  id: string;
  row: number;
  column: string | null;
  code: string;
  message: string;
  raw: string[] | null;
}

/**
 * The rejected rows of an import (its errors, not its warnings), in row order, page by page: at most
 * `pageSize` error records are held at a time, so a hundred thousand errors stream in bounded memory. One
 * keyset-paginated query per page, on the (import_id, row, id) index; a row's errors are never split
 * across pages.
 */
export async function* rejectedRowPages(db: Queryable, importId: string, pageSize = 1_000): AsyncGenerator<RejectedRow[]> {
  let after: { row: number; id: string } = { row: 0, id: '0' };
  let carried: RejectedRow | null = null;
  for (;;) {
    const { rows } = await db.query<ErrorRow>({
      name: 'rejected_rows_page',
      text: `
        SELECT "id"::text AS id, "row", "column", "code", "message", "raw"
        FROM "import_row_errors"
        WHERE "import_id" = $1 AND "level" = 'error' AND ("row", "id") > ($2, $3::bigint)
        ORDER BY "row", "id"
        LIMIT $4`,
      values: [importId, after.row, after.id, pageSize],
    });
    const page: RejectedRow[] = [];
    for (const error of rows) {
      if (carried && carried.row !== error.row) {
        page.push(carried);
        carried = null;
      }
      carried ??= { row: error.row, raw: error.raw, errors: [] };
      carried.errors.push({ column: error.column, code: error.code, message: error.message });
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) {
      if (carried) page.push(carried);
      if (page.length > 0) yield page;
      return;
    }
    after = { row: last.row, id: last.id };
    if (page.length > 0) yield page;
  }
}
