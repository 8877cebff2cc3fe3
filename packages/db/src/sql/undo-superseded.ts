import type { Queryable } from '../pool';
import { arrayLiteral } from './pg-arrays';
import { cachedSql, keyMatch, q, updatableColumns, type UpsertTable } from './upsert';

/** How the superseded rows had been counted: each now leaves that outcome for `skipped`. */
export interface SupersededCounts {
  created: number;
  updated: number;
  /** Written unchanged (or, in `insert_only` mode, skipped as existing). */
  other: number;
}

export interface Superseded {
  importId: string;
  /** The key of each superseded row: one array per key column of the table (the later row's key). */
  keys: readonly (readonly unknown[])[];
  /** The file row of the earlier row, written by an earlier chunk of this import, that each key supersedes. */
  rows: readonly number[];
}

/**
 * Undoes, inside the chunk's transaction, what earlier chunks of this import did for keys that a row of
 * this chunk repeats, so that the later row is written against the row as it was before the import (the
 * last row wins; the earlier ones are skipped). The journal tells what each earlier row did: one it
 * updated is restored from its before-image in the lineage (whose `after_updated_at` then says the row is
 * as this import left it); one it created is deleted (unless other rows reference it by
 * now, in which case it is kept and the later row updates it); one it left unchanged needs nothing. In a
 * dry run nothing was written, so nothing is undone: only the counts are read. One statement.
 */
function buildUndoSupersededSql(spec: UpsertTable, dryRun: boolean): string {
  const keyColumn = (k: string) => spec.columns.find((c) => c.name === k);
  const keys = spec.key.map((k, n) => `$${n + 2}::${keyColumn(k)?.type ?? 'text'}[]`);
  const rowsParam = `$${spec.key.length + 2}::int4[]`;
  const restored = [...updatableColumns(spec).map((c) => c.name), 'updated_at'].map(q);
  const writes = dryRun
    ? ''
    : `,
    restored AS (
      UPDATE ${q(spec.table)} t SET (${restored.join(', ')}) = (${restored.map((c) => `u.${c}`).join(', ')})
      FROM prior p JOIN ${q(spec.lineageTable)} u ON u."import_id" = $1 AND ${keyMatch(spec, 'u', 'p')}
      WHERE p.o = 'u' AND NOT u."created" AND ${keyMatch(spec, 't', 'p')}
      RETURNING 1
    ),
    relined AS (
      UPDATE ${q(spec.lineageTable)} u SET "after_updated_at" = u."updated_at"
      FROM prior p WHERE p.o = 'u' AND NOT u."created" AND u."import_id" = $1 AND ${keyMatch(spec, 'u', 'p')}
      RETURNING 1
    ),
    removed AS (
      DELETE FROM ${q(spec.table)} t USING prior p
      WHERE p.o = 'c' AND ${keyMatch(spec, 't', 'p')}${spec.referenced ? ` AND NOT ${spec.referenced}` : ''}
      RETURNING 1
    )`;
  return `
    WITH s AS (SELECT * FROM unnest(${[...keys, rowsParam].join(', ')}) AS s(${[...spec.key.map(q), '"row"'].join(', ')})),
    chunks AS (
      SELECT c.* FROM "import_chunks" c
      WHERE c."import_id" = $1 AND EXISTS (SELECT 1 FROM s WHERE s."row" > c."from_row" AND s."row" <= c."to_row")
    ),
    marks AS (
      SELECT x."row", 'c' AS o FROM chunks c, unnest(c."created_rows") AS x("row")
      UNION ALL
      SELECT x."row", 'u' FROM chunks c, unnest(c."updated_rows") AS x("row")
    ),
    prior AS (SELECT s.*, coalesce(m.o, 'n') AS o FROM s LEFT JOIN marks m ON m."row" = s."row")${writes}
    SELECT count(*) FILTER (WHERE o = 'c')::int AS created, count(*) FILTER (WHERE o = 'u')::int AS updated,
           count(*) FILTER (WHERE o = 'n')::int AS other
    FROM prior`;
}

export async function undoSuperseded(db: Queryable, spec: UpsertTable, dryRun: boolean, superseded: Superseded): Promise<SupersededCounts> {
  const name = `undo_superseded_${spec.table}${dryRun ? '_dry' : ''}`;
  const text = cachedSql(name, () => buildUndoSupersededSql(spec, dryRun));
  const values = [superseded.importId, ...superseded.keys.map((column) => arrayLiteral(column)), `{${superseded.rows.join(',')}}`];
  const { rows } = await db.query<SupersededCounts>({ name, text, values });
  return rows[0] ?? { created: 0, updated: 0, other: 0 };
}

/**
 * Empties an import's write journal (its chunks) once its last chunk is committed. Its lineage, the
 * before-images included, stays: a revert reads it (until the cleanup expires it).
 */
export async function clearWriteJournal(db: Queryable, importId: string): Promise<void> {
  await db.query({ name: 'clear_write_journal', text: `DELETE FROM "import_chunks" WHERE "import_id" = $1`, values: [importId] });
}
