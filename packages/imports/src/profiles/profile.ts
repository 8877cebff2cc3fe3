import type { Queryable, UpsertTable } from '@importer/db';
import type { Cell, CellParser } from '../cells';
import type { LookupCache } from '../lookups';

/** One column a profile knows: its canonical name (the table column), the headers it answers to, its rule. */
export interface ColumnSpec<T = unknown> {
  name: string;
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
export interface ValidRow {
  row: number;
  raw: readonly Cell[];
  values: Readonly<Record<string, unknown>>;
}

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

/** `values[name]` as the parsed type, or null when the cell was blank. */
export function valueOf<T>(values: Readonly<Record<string, unknown>>, name: string): T | null {
  const value = values[name];
  return value === undefined ? null : (value as T);
}

export function defineProfile<R>(profile: Profile<R>): Profile<R> {
  return profile;
}
