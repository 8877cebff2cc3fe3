import type { Cell } from '../cells';

/** One record of a file: its spreadsheet row number (the header is row 1) and its cells. */
export interface SourceRecord {
  row: number;
  cells: Cell[];
}

export type FileFormat = 'csv' | 'xlsx' | 'xls';

/** What was detected about a file, recorded on the import. */
export interface SourceDialect {
  format: FileFormat;
  encoding: string | null;
  delimiter: string | null;
  sheet: string | null;
}

/** An opened file: its header row, then its records in batches, read as they are asked for. */
export interface Source {
  dialect: SourceDialect;
  headers: string[];
  /** Batches of at most `size` records after the header, skipping rows numbered `after` or less. */
  batches(size: number, after: number): AsyncIterable<SourceRecord[]>;
  /** Share of the file read so far, from 0 to 1. */
  progress(): number;
  close(): Promise<void>;
}

export interface ReadLimits {
  maxColumns: number;
  /** Longest text a record may hold while its quotes are open before the file is rejected. */
  maxRecordChars: number;
}

export const isEmptyRecord = (cells: readonly Cell[]) =>
  cells.every((cell) => cell === null || (typeof cell === 'string' && cell.trim() === ''));

/** Header cells as text, with trailing empty columns dropped. */
export function headerCells(cells: readonly Cell[]): string[] {
  const headers = cells.map((cell) => (cell === null ? '' : String(cell).trim()));
  while (headers.length > 0 && headers.at(-1) === '') headers.pop();
  return headers;
}
