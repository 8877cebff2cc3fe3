import Papa from 'papaparse';
import type { SourceRecord } from './readers/source';
import { foldHeader } from './text';

/**
 * The rejected-rows download (`GET /imports/:id/errors.csv`): each rejected row as the file held it, plus
 * what was wrong with it, ready to be fixed and uploaded again (the three error columns are unknown to every
 * profile, so an import ignores them). Pure functions; papaparse does the quoting.
 */

/** The columns the download adds after the file's own; an import ignores them (`mapHeaders`). */
const ERROR_COLUMNS = ['error_column', 'error_code', 'error_message'] as const;

/** A character that makes a spreadsheet program read a cell as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r\n]/;

/**
 * Inside a cell's text, a place where a spreadsheet may start a cell of its own: after a `,`, `;`, tab, CR
 * or LF (it may split lines on another delimiter than the file's, and then quotes are mere text), and any
 * quotes there, when a formula character follows.
 */
const FORMULA_PIECE = /([,;\t\r\n]"*)(?=[=+\-@])/g;

/**
 * A cell as no spreadsheet program will run it as a formula, whichever of `,` `;` tab it splits lines on:
 * a `'` (which makes what follows text) before each piece that would start with `=` `+` `-` `@`, and before
 * the cell when it starts with one of those, a tab, CR or LF.
 */
export function neutralise(cell: string): string {
  const pieces = cell.replace(FORMULA_PIECE, "$1'");
  return FORMULA_START.test(pieces) ? `'${pieces}` : pieces;
}

/** Where `neutralise` put a `'` inside a cell's text (a `'` that a formula character follows). */
const ADDED_QUOTE = /([,;\t\r\n]"*)'(?=[=+\-@])/g;
/** Where `neutralise` put a `'` before a cell. */
const ADDED_LEADING_QUOTE = /^'(?=[=+\-@\t\r\n])/;

/**
 * A cell of a rejected-rows download as the file held it: the `'` that `neutralise` added, removed, so that
 * a corrected download stores `+33 1 23 45 67 89`, not `'+33 1 23 45 67 89`. (A cell whose own text held a
 * `'` in such a place loses it: the download cannot tell the two apart.)
 */
export const restoreNeutralised = (cell: string): string => cell.replace(ADDED_LEADING_QUOTE, '').replace(ADDED_QUOTE, '$1');

const FOLDED_ERROR_COLUMNS = new Set(ERROR_COLUMNS.map(foldHeader));
/** Whether a header is one of the error columns the download adds (`error_column`, `error_code`, `error_message`). */
export const isErrorColumn = (header: string): boolean => FOLDED_ERROR_COLUMNS.has(foldHeader(header));

/** Whether a file's header row is a rejected-rows download's (its three error columns), corrected or not. */
export const isRejectedRowsDownload = (headers: readonly string[]): boolean =>
  FOLDED_ERROR_COLUMNS.size === new Set(headers.map(foldHeader).filter((header) => FOLDED_ERROR_COLUMNS.has(header))).size;

/** Restores, in place, the text cells of records read from a rejected-rows download (`restoreNeutralised`). */
export function restoreNeutralisedCells(records: readonly SourceRecord[]): void {
  for (const { cells } of records) {
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (typeof cell === 'string' && cell.includes("'")) cells[i] = restoreNeutralised(cell);
    }
  }
}

export interface RejectedRowInput {
  raw: readonly string[] | null;
  errors: readonly { column: string | null; code: string; message: string }[];
}

/**
 * One line of the download: the row's cells under the file's headers (cells beyond the last header belong
 * to no column and are left out; so are those of error columns when the file was itself a download, whose
 * errors are stale), then its errors; several errors of one row are joined with `; `.
 */
export function rejectedRowCells(headers: readonly string[], row: RejectedRowInput): string[] {
  const cells: string[] = [];
  headers.forEach((header, i) => {
    if (!isErrorColumn(header)) cells.push(neutralise(row.raw?.[i] ?? ''));
  });
  const joined = (pick: (error: RejectedRowInput['errors'][number]) => string) => neutralise(row.errors.map(pick).join('; '));
  return [...cells, joined((e) => e.column ?? ''), joined((e) => e.code), joined((e) => e.message)];
}

/** The header line's cells: the file's headers (but error columns of a download uploaded again), then the error columns. */
export const rejectedRowsHeader = (headers: readonly string[]): string[] => [
  ...headers.filter((header) => !isErrorColumn(header)).map(neutralise),
  ...ERROR_COLUMNS,
];

/** Lines of CSV text (each ended by CRLF, as spreadsheet programs write them). */
export function csvLines(lines: readonly (readonly string[])[], delimiter: string): string {
  if (lines.length === 0) return '';
  return `${Papa.unparse(lines as string[][], { delimiter, newline: '\r\n', header: false })}\r\n`;
}
