import { stat } from 'node:fs/promises';
import * as XLSX from '@e965/xlsx';
import type { Cell } from '../cells';
import { BadFileError } from '../errors';
import { headerCells, isEmptyRecord, type FileFormat, type ReadLimits, type Source, type SourceRecord } from './source';

/** A spreadsheet cell as the profiles expect it: text keeps leading zeros, dates become `yyyy-mm-dd`. */
function toCell(cell: XLSX.CellObject | undefined): Cell {
  if (!cell || cell.v === undefined || cell.v === null) return null;
  switch (cell.t) {
    case 's':
      return String(cell.v);
    case 'b':
      return Boolean(cell.v);
    case 'n': {
      const value = cell.v as number;
      if (cell.z && XLSX.SSF.is_date(cell.z)) {
        const parsed = XLSX.SSF.parse_date_code(value);
        if (parsed) return `${String(parsed.y).padStart(4, '0')}-${String(parsed.m).padStart(2, '0')}-${String(parsed.d).padStart(2, '0')}`;
      }
      return value;
    }
    case 'd':
      return (cell.v as Date).toISOString().slice(0, 10);
    case 'e':
      return null;
    default:
      return String(cell.v);
  }
}

/**
 * Opens an XLSX or XLS workbook with SheetJS and reads one sheet: the one named, else the first that is not
 * empty. Formula cells give their cached values.
 */
export async function openWorkbook(path: string, format: FileFormat, limits: ReadLimits, sheetName?: string): Promise<Source> {
  await stat(path);
  let workbook: XLSX.WorkBook;
  try {
    workbook = XLSX.readFile(path, { dense: true, cellFormula: false, cellHTML: false, cellText: false, cellNF: false });
  } catch (error) {
    throw new BadFileError('unreadable_file', `The workbook cannot be read: ${(error as Error).message}`);
  }
  const rowsOf = (name: string) => (workbook.Sheets[name]?.['!data'] ?? []) as (XLSX.CellObject[] | undefined)[];
  const name = sheetName ?? workbook.SheetNames.find((candidate) => rowsOf(candidate).some((r) => r && r.some((c) => toCell(c) !== null)));
  if (sheetName && !workbook.SheetNames.includes(sheetName)) {
    throw new BadFileError('unknown_sheet', `The workbook has no sheet "${sheetName}"; its sheets are ${workbook.SheetNames.join(', ')}.`);
  }
  if (!name) throw new BadFileError('empty_file', 'Every sheet of the workbook is empty.');
  const data = rowsOf(name);
  const records: SourceRecord[] = data.map((cells, index) => ({
    row: index + 1,
    cells: Array.from(cells ?? [], (cell) => toCell(cell)),
  }));
  let start = 0;
  while (start < records.length && isEmptyRecord(records[start]?.cells ?? [])) start++;
  const header = records[start];
  if (!header) throw new BadFileError('empty_file', 'The sheet has no header row.');
  const headers = headerCells(header.cells);
  if (headers.length > limits.maxColumns) {
    throw new BadFileError('too_many_columns', `The sheet has ${headers.length} columns; at most ${limits.maxColumns} are allowed.`);
  }
  let position = start + 1;
  return {
    dialect: { format, encoding: null, delimiter: null, sheet: name },
    headers,
    async *batches(size, after) {
      while (position < records.length) {
        const batch = records.slice(position, position + size).filter((record) => record.row > after);
        position += size;
        if (batch.length > 0) yield batch;
      }
    },
    progress: () => (records.length === 0 ? 1 : Math.min(1, position / records.length)),
    async close() {},
  };
}
