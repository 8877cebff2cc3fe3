import type { Queryable, UpsertTable } from '@importer/db';
import type { Cell, CellParser } from '../cells';
import type { LookupCache } from '../lookups';

/** One column a profile knows: its canonical name (the table column), the headers it answers to, its rule. */
export interface ColumnSpec<T = unknown, N extends string = string> {
  name: N;
  aliases?: readonly string[];
  required?: boolean;
  parse: CellParser<T>;
}

/** A problem found on a row: `error` fails the row, `warning` does not. */
export interface RowIssue {
  row: number;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
  level: 'error' | 'warning';
}

/** A row whose cells all passed their column rules; `values` holds parsed, non-blank cells only. */
export interface ValidRow<V = Readonly<Record<string, unknown>>> {
  row: number;
  raw: readonly Cell[];
  values: V;
}

/** A valid row's values as its columns parse them, inferred from the column specs (absent: blank cell). */
export type ValuesOf<C extends readonly ColumnSpec[]> = {
  readonly [S in C[number] as S['name']]?: S['parse'] extends CellParser<infer T> ? T : never;
};

export interface PrepareContext {
  db: Queryable;
  cache: LookupCache;
  options: { createMissingCategories: boolean; dryRun: boolean };
}

/** Valid rows turned into table rows, with the rows lookups rejected and the warnings they raised. */
export interface Prepared<R> {
  records: R[];
  /** The file row of each record, ascending (rows rejected by look-ups have no record). */
  rows: number[];
  rejected: RowIssue[];
  warnings: RowIssue[];
}

/**
 * An import profile: a target table, its columns and natural key, and how a chunk of valid rows is
 * resolved (lookups) and written. Adding a profile is one such module plus its migration.
 */
export interface Profile<R = unknown> {
  name: string;
  columns: readonly ColumnSpec[];
  /** Natural key of a valid row; written rows sharing one within a file are duplicates (the last wins). */
  key(values: Readonly<Record<string, unknown>>): string;
  /** Rules that span columns, checked once each cell is valid. */
  check?(values: Readonly<Record<string, unknown>>): { column: string; code: string; message: string }[];
  /** Resolves a chunk's lookups and turns its valid rows into rows of `table`. */
  prepare(rows: readonly ValidRow[], context: PrepareContext): Promise<Prepared<R>>;
  /** The table written, with its key and columns (the set-based upsert is built from it). */
  table: UpsertTable;
}

/**
 * A profile as it is written: its functions see each row's values typed by its columns (`ValuesOf`), and
 * its records typed as the rows of its table.
 */
export interface ProfileDefinition<C extends readonly ColumnSpec[], R> {
  name: string;
  columns: C;
  key(values: ValuesOf<C>): string;
  check?(values: ValuesOf<C>): { column: string; code: string; message: string }[];
  prepare(rows: readonly ValidRow<ValuesOf<C>>[], context: PrepareContext): Promise<Prepared<R>>;
  table: UpsertTable;
}

/**
 * Declares a profile. The validator fills each row's values from these very columns, so the engine may
 * hand them to the typed functions as they are.
 */
export function defineProfile<const C extends readonly ColumnSpec[], R>(profile: ProfileDefinition<C, R>): Profile<R> {
  return profile;
}
