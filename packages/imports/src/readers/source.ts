import type { FileFormat } from '@importer/contracts';
import type { Cell } from '../cells';
import { BadFileError } from '../errors';

/** One record of a file: its spreadsheet row number (the header is row 1) and its cells. */
export interface SourceRecord {
  row: number;
  cells: Cell[];
}

export type { FileFormat };

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
  /** Batches of at most `size` records after the header. */
  batches(size: number): AsyncIterable<SourceRecord[]>;
  /** Share of the file read so far, from 0 to 1. */
  progress(): number;
  close(): Promise<void>;
}

export interface ReadLimits {
  /** Most columns a record may have a value in (MAX_COLUMNS). */
  maxColumns: number;
  /** Longest cell (MAX_CELL_KB): a longer one rejects its row; named when a cell is too long to be read at all. */
  maxCellChars: number;
  /** Longest text a record may hold while its quotes are open before the file is rejected (also the longest
   * value or tag an XLSX part may hold). */
  maxRecordChars: number;
  /** Inflated bytes the parts of an XLSX may add up to (MAX_XLSX_INFLATED_MB): the zip-bomb guard. */
  maxInflatedBytes: number;
  /** Cells a legacy XLS workbook may hold, all sheets together (MAX_XLS_CELLS). */
  maxXlsCells: number;
  /** Heap, in megabytes, of the thread that reads a legacy XLS (XLS_MEMORY_MB). */
  xlsMemoryMb: number;
}

export const isEmptyRecord = (cells: readonly Cell[]) =>
  cells.every((cell) => cell === null || (typeof cell === 'string' && cell.trim() === ''));

/** Header cells as text, with trailing empty columns dropped. */
export function headerCells(cells: readonly Cell[]): string[] {
  const headers = cells.map((cell) => (cell === null ? '' : String(cell).trim()));
  while (headers.length > 0 && headers.at(-1) === '') headers.pop();
  return headers;
}

/**
 * Records as a reader produces them: in runs, one per piece of the file parsed, so that they are not
 * awaited one by one (an async step per record costs more than reading it).
 */
export type RecordRuns = AsyncGenerator<SourceRecord[], void>;

/**
 * Pulls runs up to the first non-empty record (the header row): returns it with the records after it (the
 * rest of its run first), or null when every record is empty. Closing `rest` does not close `runs`.
 */
export async function splitHeader(runs: RecordRuns): Promise<{ header: SourceRecord; rest: RecordRuns } | null> {
  for (;;) {
    const next = await runs.next();
    if (next.done) return null;
    const at = next.value.findIndex((record) => !isEmptyRecord(record.cells));
    if (at === -1) continue;
    const after = next.value.slice(at + 1);
    async function* rest(): RecordRuns {
      if (after.length > 0) yield after;
      yield* runs;
    }
    return { header: next.value[at] as SourceRecord, rest: rest() };
  }
}

/** Batches of at most `size` records from `runs`, pulled only as batches are consumed. */
export async function* batchesOf(runs: AsyncIterable<readonly SourceRecord[]>, size: number): AsyncGenerator<SourceRecord[]> {
  let batch: SourceRecord[] = [];
  for await (const run of runs) {
    for (let i = 0; i < run.length; i++) {
      const record = run[i] as SourceRecord;
      batch.push(record);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Fails the file when a record has a value beyond the first `maxColumns` columns (MAX_COLUMNS). */
export function checkColumns(record: SourceRecord, maxColumns: number): void {
  const { cells } = record;
  if (cells.length <= maxColumns) return;
  let last = cells.length - 1;
  while (last >= maxColumns && isEmptyRecord([cells[last] ?? null])) last--;
  if (last < maxColumns) return;
  throw new BadFileError(
    'too_many_columns',
    `Row ${record.row} has a value in column ${last + 1}; at most ${maxColumns} columns are allowed (MAX_COLUMNS).`,
    { row: record.row, column: last + 1, maxColumns },
  );
}

/**
 * A cell longer than a whole record may be (`maxRecordChars`): it cannot be read, so the file fails.
 * `where` names the cell (`Row 4, column 2 (nom)`).
 */
export function cellTooLarge(
  where: string,
  limits: Pick<ReadLimits, 'maxRecordChars' | 'maxCellChars'>,
  details: Record<string, unknown>,
): BadFileError {
  return new BadFileError(
    'cell_too_large',
    `${where}: the cell is longer than ${limits.maxRecordChars} characters, too long to be read; a cell may hold at most ${limits.maxCellChars} characters (MAX_CELL_KB).`,
    { ...details, maxCellChars: limits.maxCellChars },
  );
}

/**
 * A workbook's sheets in the order the default choice (no `sheet` option) tries them: the visible ones,
 * then the hidden ones (lists behind drop-downs, settings), each in workbook order. A person who uploads
 * a workbook means a sheet they can see.
 */
export function visibleFirst<T extends { hidden: boolean }>(sheets: readonly T[]): T[] {
  return [...sheets.filter((sheet) => !sheet.hidden), ...sheets.filter((sheet) => sheet.hidden)];
}

/**
 * The sheet `wanted` names among a workbook's sheets: exactly, else ignoring case and surrounding spaces.
 * An unknown name fails the file with the list of sheets.
 */
export function pickSheet(names: readonly string[], wanted: string): string {
  const folded = wanted.trim().toLowerCase();
  const found = names.find((name) => name === wanted) ?? names.find((name) => name.trim().toLowerCase() === folded);
  if (found === undefined) {
    throw new BadFileError(
      'unknown_sheet',
      `The workbook has no sheet "${wanted}"; its sheets are ${names.map((name) => `"${name}"`).join(', ') || 'none'}.`,
      { sheet: wanted, sheets: [...names] },
    );
  }
  return found;
}
