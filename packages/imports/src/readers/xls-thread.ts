/**
 * The thread that reads a legacy XLS workbook, started by `openXls` under a heap limit (XLS_MEMORY_MB):
 * SheetJS holds the whole workbook, ≈ 500 bytes per cell, so a workbook too big for the limit ends this
 * thread, not the worker. It reads the file, counts the cells its records hold (MAX_XLS_CELLS) before
 * parsing anything, parses it with SheetJS, picks the sheet and tells the parent; then each message from
 * the parent asks for the next run of records, whose SheetJS cells are let go as they are sent.
 *
 * SheetJS is loaded with `require` wherever this runs (jest, tsx, the compiled worker: its CommonJS
 * build), and given bytes, never a path (its ESM build has no file system).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { CFB, read, type CellObject, type WorkBook } from '@e965/xlsx';
import type { Cell } from '../cells';
import { BadFileError } from '../errors';
import { countCells } from './biff';
import { packedBuffers, packRecords, type PackedRecords } from './packed-records';
import { pickSheet, visibleFirst, type SourceRecord } from './source';
import { formatCodeKind, serialToIsoDate, serialToTime } from './spreadsheet-values';

/** What the thread is given: the stored file's bytes (transferred, not copied), the sheet asked for, the cell limit. */
export interface XlsJob {
  bytes?: Uint8Array;
  sheet?: string;
  maxCells: number;
}

/** What the thread sends: `opened` or `failed` first, then a `run` per request, then `end`. */
export type FromXlsThread =
  | { kind: 'opened'; sheet: string; rows: number }
  | { kind: 'failed'; code: string; message: string; details?: Record<string, unknown>; cause?: string }
  | { kind: 'run'; records: PackedRecords }
  | { kind: 'end' };

/** Records sent at a time. */
const RUN = 1_000;

type Rows = (CellObject[] | undefined)[];

/** What is used here of the CFB library SheetJS bundles, whose own types declare it `any`. */
interface OleContainers {
  read(bytes: Buffer, options: { type: 'buffer' }): unknown;
  find(container: unknown, path: string): { content?: Uint8Array } | null;
}
const ole = CFB as OleContainers;

/** A spreadsheet cell as the profiles expect it: text keeps leading zeros, dates become `yyyy-mm-dd`. */
function toCell(cell: CellObject | undefined, date1904: boolean): Cell {
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

/** What a user is told of a workbook SheetJS cannot read; SheetJS's own words go to the worker's log. */
const UNREADABLE = 'The workbook cannot be read: it is damaged, or not an Excel 97–2003 (.xls) workbook.';

/** The BIFF stream of an OLE2 file: `Workbook` (Excel 97 and later), else `Book` (Excel 5/95). */
function workbookStream(bytes: Buffer): Buffer {
  let container: unknown;
  try {
    container = ole.read(bytes, { type: 'buffer' });
  } catch (error) {
    throw new BadFileError('unreadable_file', UNREADABLE, undefined, { cause: error });
  }
  const entry = ole.find(container, 'Workbook') ?? ole.find(container, 'Book');
  if (!entry?.content)
    throw new BadFileError('unreadable_file', 'The file is an Office document without a workbook in it, not an XLS workbook.');
  return Buffer.from(entry.content.buffer, entry.content.byteOffset, entry.content.byteLength);
}

/** Reads the workbook and picks the sheet: the one named, else the first with a value. */
function openSheet(job: XlsJob): { name: string; rows: Rows; date1904: boolean } {
  const bytes = job.bytes ?? new Uint8Array(0);
  job.bytes = undefined; // held by the workbook's stream only, so that it goes once SheetJS has read it
  const stream = workbookStream(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const cells = countCells(stream);
  if (cells > job.maxCells) {
    throw new BadFileError(
      'too_many_cells',
      `The workbook holds ${cells.toLocaleString('en')} cells; at most ${job.maxCells.toLocaleString('en')} can be read from an XLS file ` +
        '(MAX_XLS_CELLS). Save it as XLSX or CSV, which have no such limit.',
      { cells, maxCells: job.maxCells },
    );
  }
  let workbook: WorkBook;
  try {
    workbook = read(stream, { type: 'buffer', dense: true, cellFormula: false, cellHTML: false, cellText: false, cellNF: true });
  } catch (error) {
    throw new BadFileError('unreadable_file', UNREADABLE, undefined, { cause: error });
  }
  const date1904 = Boolean(workbook.Workbook?.WBProps?.date1904);
  const rowsOf = (name: string) => (workbook.Sheets[name]?.['!data'] ?? []) as Rows;
  const name =
    (job.sheet === undefined ? undefined : pickSheet(workbook.SheetNames, job.sheet)) ??
    visibleFirst(workbook.SheetNames.map((name, i) => ({ name, hidden: Boolean(workbook.Workbook?.Sheets?.[i]?.Hidden) })))
      .map((sheet) => sheet.name)
      .find((candidate) => rowsOf(candidate).some((r) => r && r.some((c) => toCell(c, date1904) !== null)));
  if (!name) throw new BadFileError('empty_file', 'Every sheet of the workbook is empty.');
  return { name, rows: rowsOf(name), date1904 };
}

function serve(port: MessagePort, job: XlsJob): void {
  let sheet: ReturnType<typeof openSheet>;
  try {
    sheet = openSheet(job);
  } catch (error) {
    if (!(error instanceof BadFileError)) throw error;
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    port.postMessage({ kind: 'failed', code: error.code, message: error.message, details: error.details, cause } satisfies FromXlsThread);
    return;
  }
  const { rows, date1904 } = sheet;
  port.postMessage({ kind: 'opened', sheet: sheet.name, rows: rows.length } satisfies FromXlsThread);
  let position = 0;
  port.on('message', () => {
    if (position >= rows.length) {
      port.postMessage({ kind: 'end' } satisfies FromXlsThread);
      return;
    }
    const records: SourceRecord[] = [];
    for (const end = Math.min(rows.length, position + RUN); position < end; position++) {
      records.push({ row: position + 1, cells: Array.from(rows[position] ?? [], (cell) => toCell(cell, date1904)) });
      rows[position] = undefined;
    }
    const packed = packRecords(records);
    port.postMessage({ kind: 'run', records: packed } satisfies FromXlsThread, packedBuffers(packed));
  });
}

if (!parentPort) throw new Error('xls-thread is started as a worker thread by openXls');
serve(parentPort, workerData as XlsJob);
