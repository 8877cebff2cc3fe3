import Papa from 'papaparse';

/**
 * The rejected-rows download (`GET /imports/:id/errors.csv`): each rejected row as the file held it, plus
 * what was wrong with it, ready to be fixed and uploaded again (the three error columns are unknown to every
 * profile, so an import ignores them). Pure functions; papaparse does the quoting.
 */

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

export interface RejectedRowInput {
  raw: readonly string[] | null;
  errors: readonly { column: string | null; code: string; message: string }[];
}

/**
 * One line of the download: the row's cells under the file's headers (cells beyond the last header belong
 * to no column and are left out), then its errors; several errors of one row are joined with `; `.
 */
export function rejectedRowCells(headers: readonly string[], row: RejectedRowInput): string[] {
  const cells = headers.map((_, i) => neutralise(row.raw?.[i] ?? ''));
  const joined = (pick: (error: RejectedRowInput['errors'][number]) => string) => neutralise(row.errors.map(pick).join('; '));
  return [...cells, joined((e) => e.column ?? ''), joined((e) => e.code), joined((e) => e.message)];
}

/** The header line's cells: the file's headers, then the error columns. */
export const rejectedRowsHeader = (headers: readonly string[]): string[] => [...headers.map(neutralise), ...ERROR_COLUMNS];

/** Lines of CSV text (each ended by CRLF, as spreadsheet programs write them). */
export function csvLines(lines: readonly (readonly string[])[], delimiter: string): string {
  if (lines.length === 0) return '';
  return `${Papa.unparse(lines as string[][], { delimiter, newline: '\r\n', header: false })}\r\n`;
}
