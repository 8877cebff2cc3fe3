import type { WriteMode } from '@importer/contracts';
import type { Queryable } from '../pool';
import { columnBodies } from './pg-arrays';

/** How a row whose key already exists is treated: the contract's (docs/write-semantics.md, "Modes"). */
export type { WriteMode };

export interface UpsertColumn {
  name: string;
  /** Element type of the parameter array that carries this column: the column's own type, so that joins
   * on it use the table's indexes (`bpchar` for CHAR(n) columns). */
  type: 'text' | 'bpchar' | 'int4' | 'int8' | 'bool' | 'date';
  /** SQL inserted for this column, over the input row `i`; defaults to `i."<name>"`. */
  insert?: string | ((mode: WriteMode) => string);
  /**
   * What `insert` gives for a row whose key is absent, computed here: a column with an `insert` expression
   * needs it for the table's rows to be copied in (`copyRows`); without it, they are always upserted.
   */
  created?: (value: unknown) => unknown;
  /** False for keys and for values fixed at creation (a slug). Defaults to true. */
  updatable?: boolean;
  /** True when a row always has a value here (typed so in `TableRow`). */
  required?: boolean;
}

/** What a value of each parameter type is in JavaScript (bigint ids travel as text). */
interface SqlValues {
  text: string;
  bpchar: string;
  int4: number;
  int8: string;
  bool: boolean;
  date: string;
}

/**
 * A row of a table as the upsert takes it, inferred from its spec (declared `as const satisfies
 * UpsertTable`): one property per column, null for a blank unless the column is `required`.
 */
export type TableRow<T extends UpsertTable> = {
  [C in T['columns'][number] as C['name']]: C extends { required: true } ? SqlValues[C['type']] : SqlValues[C['type']] | null;
};

/** A business table written by set-based upserts: one statement per chunk, whatever its size. */
export interface UpsertTable {
  table: string;
  /** Columns of the unique index that identifies a row. */
  key: readonly string[];
  columns: readonly UpsertColumn[];
  /**
   * Its lineage table (migration 20261207040000, docs/write-semantics.md "Lineage and revert"): per key an
   * import created or updated, `created`, `after_updated_at` and the before-image (`lineageColumns`, updated_at).
   */
  lineageTable: string;
  /**
   * SQL over the table row `t` that is true when other rows reference it. Undoing (or reverting) a row this
   * import created normally deletes it; a referenced one is kept (see `undoSuperseded`, `revertChunk`).
   */
  referenced?: string;
  /**
   * SQL over a lineage row `l` that is false when its before-image can no longer be restored: it references a
   * row deleted since (see `revertChunk`). Default: always restorable.
   */
  restorable?: string;
}

/** True when created rows can be copied in: every computed column says what it is for an absent key. */
export const copyable = (spec: UpsertTable) => spec.columns.every((c) => c.insert === undefined || c.created !== undefined);

export interface UpsertCounts {
  created: number;
  updated: number;
}

export const q = (name: string) => `"${name}"`;

const insertExpression = (c: UpsertColumn, mode: WriteMode) =>
  typeof c.insert === 'function' ? c.insert(mode) : (c.insert ?? `i.${q(c.name)}`);

/** The columns a lineage row's before-image holds: every column but the key's (plus `updated_at`). */
export const lineageColumns = (spec: UpsertTable) => spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => c.name);

export const updatableColumns = (spec: UpsertTable) => spec.columns.filter((c) => c.updatable !== false && !spec.key.includes(c.name));

/** `a."k1" = b."k1" AND a."k2" = b."k2"` over the table's key. */
export const keyMatch = (spec: UpsertTable, a: string, b: string) => spec.key.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');

/**
 * `LEFT JOIN` of the stored row (as `alias`, columns null when its key is absent) of each row of `from`,
 * read through the key's unique index, one look-up per row. Written as a lateral subquery the planner may
 * not flatten (`OFFSET 0`): as a plain join it hashed the whole table once per chunk whenever its
 * statistics were stale or the table large (a chunk of 5,000 unchanged rows in a 100,000-row table: 0.5 s
 * of backend CPU instead of 0.03), a cost growing with the table rather than with the chunk.
 */
export const storedRow = (spec: UpsertTable, alias: string, from: string, on = 'true') =>
  `LEFT JOIN LATERAL (SELECT * FROM ${q(spec.table)} s WHERE ${keyMatch(spec, 's', from)} OFFSET 0) ${alias} ON ${on}`;

/**
 * The CTE `input` of `upsertRows`: the rows, one array parameter per column, plus the number of each
 * (`"row"`), as `inputParams` encodes them. (A chunk's rows reach its statement through the staging table
 * instead: `stagedInputCte`.)
 */
function inputCte(spec: UpsertTable): string {
  const names = [...spec.columns.map((c) => q(c.name)), '"row"'];
  const params = [...spec.columns.map((c, n) => `$${n + 1}::${c.type}[]`), `$${spec.columns.length + 1}::int4[]`];
  return `input AS (SELECT * FROM unnest(${params.join(', ')}) AS i(${names.join(', ')}))`;
}

/** The values of `inputCte`'s parameters: per column an array literal of the rows' values, then the row numbers. */
function inputParams(spec: UpsertTable, rows: readonly Record<string, unknown>[]): string[] {
  const bodies = columnBodies(
    rows,
    spec.columns.map((c) => c.name),
  );
  return [...bodies.map((body) => `{${body}}`), `{${rows.map((_, n) => n + 1).join(',')}}`];
}

/**
 * SQL over the input row `i` and the stored row `t` (null when the key is absent): true when writing `i`
 * would change `t` — what the upsert would set (its insert expressions, merged as the upsert merges) is
 * distinct from what is stored. Never true in `insert_only` mode.
 */
function changedSql(spec: UpsertTable, mode: WriteMode): string {
  if (mode === 'insert_only') return 'false';
  const updatable = updatableColumns(spec);
  const next = (c: UpsertColumn) =>
    mode === 'upsert' ? `COALESCE(${insertExpression(c, mode)}, t.${q(c.name)})` : insertExpression(c, mode);
  return `(${updatable.map((c) => `t.${q(c.name)}`).join(', ')}) IS DISTINCT FROM (${updatable.map(next).join(', ')})`;
}

/**
 * The CTEs `todo` and `written`. `todo` keeps the input rows whose key is absent or whose stored row they
 * would change, read through the key's index without locking anything: an identical re-import stops
 * there, writing nothing (no row lock, no WAL). `written` is `INSERT … SELECT … FROM todo ON CONFLICT …
 * DO UPDATE … WHERE … IS DISTINCT FROM …`, which stays right when another import writes the same keys
 * meanwhile; it returns the key, whether the row was created (`xmax = 0`) and the `updated_at` it now has,
 * of every row it created or updated. In `upsert` mode a blank (null) cell keeps the stored value; in
 * `overwrite` mode it clears it; `insert_only` leaves existing keys alone.
 */
export function writtenCte(spec: UpsertTable, mode: WriteMode): string {
  const { table, key, columns } = spec;
  const names = columns.map((c) => q(c.name)).join(', ');
  const inserted = columns.map((c) => insertExpression(c, mode)).join(', ');
  const updatable = updatableColumns(spec);
  const next = (c: UpsertColumn) => (mode === 'upsert' ? `COALESCE(EXCLUDED.${q(c.name)}, t.${q(c.name)})` : `EXCLUDED.${q(c.name)}`);
  const onConflict =
    mode === 'insert_only'
      ? 'DO NOTHING'
      : `DO UPDATE SET ${updatable.map((c) => `${q(c.name)} = ${next(c)}`).join(', ')}, "updated_at" = now()
         WHERE (${updatable.map((c) => `t.${q(c.name)}`).join(', ')}) IS DISTINCT FROM (${updatable.map(next).join(', ')})`;
  return `todo AS (
      SELECT i.* FROM input i ${storedRow(spec, 't', 'i')}
      WHERE t.${q(key[0] as string)} IS NULL OR ${changedSql(spec, mode)}
    ),
    written AS (
      INSERT INTO ${q(table)} AS t (${names})
      SELECT ${inserted} FROM todo i
      ON CONFLICT (${key.map(q).join(', ')}) ${onConflict}
      RETURNING ${key.map((k) => `t.${q(k)}`).join(', ')}, (t.xmax = 0) AS created, t."updated_at")`;
}

/**
 * The CTE `judged`, for a dry run: what `writtenCte` would do to each input row, reading only. A row whose
 * key is absent would be created; one whose stored values differ from what the upsert would set would be
 * updated.
 */
export function judgedCte(spec: UpsertTable, mode: WriteMode): string {
  return `judged AS (
      SELECT i."row", t.${q(spec.key[0] as string)} IS NULL AS created, ${changedSql(spec, mode)} AS changed
      FROM input i ${storedRow(spec, 't', 'i')})`;
}

/** The CTE `outcome` ("row", created) of the rows created or updated (or, in a dry run, that would be). */
export function outcomeCte(spec: UpsertTable, dryRun: boolean): string {
  return dryRun
    ? `outcome AS (SELECT "row", created FROM judged WHERE created OR changed)`
    : `outcome AS (SELECT i."row", w.created FROM written w JOIN input i ON ${keyMatch(spec, 'w', 'i')})`;
}

const statements = new Map<string, string>();

/** A statement's text, built once per name. */
export function cachedSql(name: string, build: () => string): string {
  let text = statements.get(name);
  if (text === undefined) {
    text = build();
    statements.set(name, text);
  }
  return text;
}

/**
 * Writes `rows` (objects keyed by column name; null = blank) in one statement, outside any import's
 * journal (the look-up cache creating missing categories). Keys must be unique.
 */
export async function upsertRows(
  db: Queryable,
  spec: UpsertTable,
  mode: WriteMode,
  rows: readonly Record<string, unknown>[],
): Promise<UpsertCounts> {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const name = `upsert_${spec.table}_${mode}`;
  const text = cachedSql(
    name,
    () => `WITH ${inputCte(spec)}, ${writtenCte(spec, mode)}
      SELECT count(*) FILTER (WHERE created)::int AS created, count(*) FILTER (WHERE NOT created)::int AS updated FROM written`,
  );
  const values = inputParams(spec, rows);
  const { rows: result } = await db.query<UpsertCounts>({ name, text, values });
  return result[0] ?? { created: 0, updated: 0 };
}
