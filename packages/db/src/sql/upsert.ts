import type { Queryable } from '../pool';

/** How a row whose key already exists is treated (SPEC §4). */
export type WriteMode = 'upsert' | 'overwrite' | 'insert_only';
export const WRITE_MODES: readonly WriteMode[] = ['upsert', 'overwrite', 'insert_only'];

export interface UpsertColumn {
  name: string;
  /** Element type of the parameter array that carries this column. */
  type: 'text' | 'int4' | 'int8' | 'bool' | 'date';
  /** SQL inserted for this column, over the input row `i`; defaults to `i."<name>"`. */
  insert?: string | ((mode: WriteMode) => string);
  /** False for keys and for values fixed at creation (a slug). Defaults to true. */
  updatable?: boolean;
}

/** A business table written by set-based upserts: one statement per chunk, whatever its size. */
export interface UpsertTable {
  table: string;
  /** Columns of the unique index that identifies a row. */
  key: readonly string[];
  columns: readonly UpsertColumn[];
}

export interface UpsertCounts {
  created: number;
  updated: number;
}

const q = (name: string) => `"${name}"`;

/**
 * Builds `INSERT … SELECT … FROM unnest(…) ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM …`, counting
 * created rows (`xmax = 0`) and updated ones. Rows the update would not change are not touched, so they are
 * neither locked nor rewritten: an identical re-import writes nothing. In `upsert` mode a blank (null)
 * cell keeps the stored value; in `overwrite` mode it clears it; `insert_only` leaves existing keys alone.
 */
export function buildUpsertSql(spec: UpsertTable, mode: WriteMode): string {
  const { table, key, columns } = spec;
  const names = columns.map((c) => q(c.name)).join(', ');
  const params = columns.map((c, n) => `$${n + 1}::${c.type}[]`).join(', ');
  const inserted = columns
    .map((c) => (typeof c.insert === 'function' ? c.insert(mode) : (c.insert ?? `i.${q(c.name)}`)))
    .join(', ');
  const updatable = columns.filter((c) => c.updatable !== false && !key.includes(c.name));
  const next = (c: UpsertColumn) =>
    mode === 'upsert' ? `COALESCE(EXCLUDED.${q(c.name)}, t.${q(c.name)})` : `EXCLUDED.${q(c.name)}`;
  const onConflict =
    mode === 'insert_only'
      ? 'DO NOTHING'
      : `DO UPDATE SET ${updatable.map((c) => `${q(c.name)} = ${next(c)}`).join(', ')}, "updated_at" = now()
         WHERE (${updatable.map((c) => `t.${q(c.name)}`).join(', ')})
           IS DISTINCT FROM (${updatable.map(next).join(', ')})`;
  return `
    WITH written AS (
      INSERT INTO ${q(table)} AS t (${names})
      SELECT ${inserted}
      FROM unnest(${params}) AS i(${names})
      ON CONFLICT (${key.map(q).join(', ')}) ${onConflict}
      RETURNING (t.xmax = 0) AS created
    )
    SELECT count(*) FILTER (WHERE created)::int AS created, count(*) FILTER (WHERE NOT created)::int AS updated
    FROM written`;
}

/**
 * Counts what `buildUpsertSql` would do to the same rows, reading only: a row whose key is absent would be
 * created; one whose stored values differ from what the upsert would set would be updated (dry run).
 */
export function buildPreviewSql(spec: UpsertTable, mode: WriteMode): string {
  const { table, key, columns } = spec;
  const names = columns.map((c) => q(c.name)).join(', ');
  const params = columns.map((c, n) => `$${n + 1}::${c.type}[]`).join(', ');
  // What the upsert proposes for a column is its insert expression (EXCLUDED), merged as the upsert would.
  const proposed = (c: UpsertColumn) => (typeof c.insert === 'function' ? c.insert(mode) : (c.insert ?? `i.${q(c.name)}`));
  const next = (c: UpsertColumn) => (mode === 'upsert' ? `COALESCE(${proposed(c)}, t.${q(c.name)})` : proposed(c));
  const updatable = columns.filter((c) => c.updatable !== false && !key.includes(c.name));
  const changed =
    mode === 'insert_only'
      ? 'false'
      : `(${updatable.map((c) => `t.${q(c.name)}`).join(', ')}) IS DISTINCT FROM (${updatable.map(next).join(', ')})`;
  const found = `t.${q(key[0] as string)} IS NOT NULL`;
  return `
    SELECT count(*) FILTER (WHERE NOT ${found})::int AS created,
           count(*) FILTER (WHERE ${found} AND ${changed})::int AS updated
    FROM unnest(${params}) AS i(${names})
    LEFT JOIN ${q(table)} t ON ${key.map((k) => `t.${q(k)} = i.${q(k)}`).join(' AND ')}`;
}

const statements = new Map<string, string>();

async function run(
  kind: 'upsert' | 'preview',
  db: Queryable,
  spec: UpsertTable,
  mode: WriteMode,
  rows: readonly Record<string, unknown>[],
): Promise<UpsertCounts> {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const name = `${kind}_${spec.table}_${mode}`;
  let text = statements.get(name);
  if (text === undefined) {
    text = kind === 'upsert' ? buildUpsertSql(spec, mode) : buildPreviewSql(spec, mode);
    statements.set(name, text);
  }
  const values = spec.columns.map((c) => rows.map((row) => row[c.name] ?? null));
  const { rows: result } = await db.query<UpsertCounts>({ name, text, values });
  return result[0] ?? { created: 0, updated: 0 };
}

/** Writes `rows` (objects keyed by column name; null = blank) in one statement. Keys must be unique. */
export const upsertRows = (db: Queryable, spec: UpsertTable, mode: WriteMode, rows: readonly Record<string, unknown>[]) =>
  run('upsert', db, spec, mode, rows);

/** What `upsertRows` would create and update, without writing (one read-only statement). */
export const previewRows = (db: Queryable, spec: UpsertTable, mode: WriteMode, rows: readonly Record<string, unknown>[]) =>
  run('preview', db, spec, mode, rows);
