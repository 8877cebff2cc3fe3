import { stat } from 'node:fs/promises';
import type * as XLSX from '@e965/xlsx';
import type { Cell } from '../cells';
import { BadFileError } from '../errors';
import { batchesOf, checkColumns, headerCells, isEmptyRecord, pickSheet, type FileFormat, type ReadLimits, type RecordRuns, type Source, type SourceRecord } from './source';
import { formatCodeKind, serialToIsoDate, serialToTime } from './spreadsheet-values';

/** Records handed on at a time: the sheet is in memory already, runs only spare an async step per record. */
const RUN = 1_000;

/** A spreadsheet cell as the profiles expect it: text keeps leading zeros, dates become `yyyy-mm-dd`. */
function toCell(cell: XLSX.CellObject | undefined, date1904: boolean): Cell {
  if (!cell || cell.v === undefined || cell.v === null) return null;
  switch (cell.t) {
    case 's':
      return String(cell.v);
    case 'b':
      return Boolean(cell.v);
    case 'n': {
      const value = cell.v as number;
      const kind = cell.z ? formatCodeKind(String(cell.z)) : 'number';
      if (kind === 'date') return serialToIsoDate(value, date1904) ?? value;
      if (kind === 'time') return serialToTime(value) ?? value;
      return value;
    }
    case 'e':
      return null;
    default:
      return String(cell.v);
  }
}

/**
 * Opens a legacy XLS (BIFF) workbook with SheetJS and reads one sheet: the one named, else the first that
 * is not empty. Formula cells give their cached values. SheetJS parses the whole workbook in memory, so
 * what bounds it is the upload limit (MAX_FILE_MB) and BIFF8's own limits (65,536 rows × 256 columns per
 * sheet); XLSX files never come here (see `openXlsx`, which streams).
 */
export async function openWorkbook(path: string, format: FileFormat, limits: ReadLimits, sheetName?: string): Promise<Source> {
  await stat(path);
  // Loaded on first use: only legacy XLS files need SheetJS, and it is large.
  const { readFile } = await import('@e965/xlsx');
  let workbook: XLSX.WorkBook;
  try {
    workbook = readFile(path, { dense: true, cellFormula: false, cellHTML: false, cellText: false, cellNF: true });
  } catch (error) {
    throw new BadFileError('unreadable_file', `The workbook cannot be read: ${(error as Error).message}`);
  }
  const date1904 = Boolean(workbook.Workbook?.WBProps?.date1904);
  const rowsOf = (name: string) => (workbook.Sheets[name]?.['!data'] ?? []) as (XLSX.CellObject[] | undefined)[];
  const name =
    (sheetName === undefined ? undefined : pickSheet(workbook.SheetNames, sheetName)) ??
    workbook.SheetNames.find((candidate) => rowsOf(candidate).some((r) => r && r.some((c) => toCell(c, date1904) !== null)));
  if (!name) throw new BadFileError('empty_file', 'Every sheet of the workbook is empty.');
  const data = rowsOf(name);
  let start = 0;
  const cellsOf = (index: number) => Array.from(data[index] ?? [], (cell) => toCell(cell, date1904));
  while (start < data.length && isEmptyRecord(cellsOf(start))) start++;
  if (start >= data.length) throw new BadFileError('empty_file', `The sheet "${name}" is empty.`, { sheet: name });
  const header: SourceRecord = { row: start + 1, cells: cellsOf(start) };
  checkColumns(header, limits.maxColumns);
  let position = start + 1;

  async function* records(): RecordRuns {
    while (position < data.length) {
      const run: SourceRecord[] = [];
      for (const end = Math.min(data.length, position + RUN); position < end; position++) {
        const record = { row: position + 1, cells: cellsOf(position) };
        checkColumns(record, limits.maxColumns);
        run.push(record);
      }
      yield run;
    }
  }
  return {
    dialect: { format, encoding: null, delimiter: null, sheet: name },
    headers: headerCells(header.cells),
    batches: (size, after) => batchesOf(records(), size, after),
    progress: () => (data.length === 0 ? 1 : Math.min(1, position / data.length)),
    async close() {},
  };
}
