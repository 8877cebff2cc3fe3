/**
 * Legacy XLS (BIFF8) workbooks for tests: written by SheetJS, then edited record by record where SheetJS
 * writes no such thing (formulas with a cached value) or would take too long (many cells: SheetJS writes
 * ≈ 2,000 cells a second).
 */
import * as XLSX from '@e965/xlsx';

interface BiffRecord {
  type: number;
  body: Buffer;
}

const NUMBER = 0x0203;
const FORMULA = 0x0006;
const MULRK = 0x00bd;
const EOF = 0x000a;
/** ptgNum: a number constant in a formula's parsed expression. */
const PTG_NUM = 0x1f;

/** A stream in an OLE2 container. */
interface CfbEntry {
  content: Uint8Array;
  size: number;
}

/** An OLE2 (compound file) container, as SheetJS's CFB library reads and writes it. */
interface CfbContainer {
  FileIndex: CfbEntry[];
}

/** The part of SheetJS's CFB library that tests use; @e965/xlsx declares `CFB` as `any`. */
interface CfbLibrary {
  read(data: Buffer, options: { type: 'buffer' }): CfbContainer;
  find(container: CfbContainer, path: string): CfbEntry | null;
  write(container: CfbContainer, options: { type: 'buffer' }): Uint8Array;
  utils: { cfb_new(): CfbContainer; cfb_add(container: CfbContainer, path: string, content: Buffer): void };
}

/** SheetJS's CFB library (the OLE2 container an XLS workbook is stored in), typed. */
export const CFB = XLSX.CFB as CfbLibrary;

/** A BIFF8 workbook of these sheets; a cell may be a SheetJS cell object (`{ t: 'n', v, z: 'dd/mm/yyyy' }`). */
export function toXls(sheets: { name: string; rows: unknown[][] }[]): Buffer {
  const book = XLSX.utils.book_new();
  for (const sheet of sheets) XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(sheet.rows), sheet.name);
  return XLSX.write(book, { type: 'buffer', bookType: 'biff8' }) as Buffer;
}

/**
 * Turns the number cell at (`row`, `col`), zero-based, of the workbook's last sheet into a formula whose
 * cached result is that number (the formula is the constant itself, `=12.5`).
 */
export function xlsWithFormula(xls: Buffer, row: number, col: number): Buffer {
  return editLastSheet(xls, (records) =>
    records.map((record) => {
      if (record.type !== NUMBER || record.body.readUInt16LE(0) !== row || record.body.readUInt16LE(2) !== col) return record;
      const body = Buffer.alloc(20 + 2 + 9);
      record.body.copy(body, 0, 0, 14); // row, column, XF, then the result: the number
      body.writeUInt16LE(9, 20); // length of the parsed expression
      body.writeUInt8(PTG_NUM, 22);
      record.body.copy(body, 23, 6, 14);
      return { type: FORMULA, body };
    }),
  );
}

/**
 * Appends `rows` rows of `cols` whole-number cells (one MULRK record per row) to the workbook's last sheet,
 * from row `from` (zero-based): many cells in few bytes, written in milliseconds.
 */
export function xlsWithNumberRows(xls: Buffer, from: number, rows: number, cols: number): Buffer {
  return editLastSheet(xls, (records) => {
    const added: BiffRecord[] = [];
    for (let r = from; r < from + rows; r++) {
      const body = Buffer.alloc(6 + cols * 6);
      body.writeUInt16LE(r, 0);
      body.writeUInt16LE(0, 2);
      for (let c = 0; c < cols; c++) body.writeInt32LE(((r * cols + c) << 2) | 2, 4 + c * 6 + 2); // RK: an integer
      body.writeUInt16LE(cols - 1, 4 + cols * 6);
      added.push({ type: MULRK, body });
    }
    return [...records.slice(0, -1), ...added, records.at(-1) as BiffRecord];
  });
}

/** Rewrites the records of the last sheet (from after the globals' and earlier sheets' EOF to its own). */
function editLastSheet(xls: Buffer, edit: (records: BiffRecord[]) => BiffRecord[]): Buffer {
  const container = CFB.read(xls, { type: 'buffer' });
  const entry = CFB.find(container, 'Workbook');
  if (!entry) throw new Error('the XLS file holds no Workbook stream');
  const stream = Buffer.from(entry.content);
  const records: BiffRecord[] = [];
  for (let at = 0; at + 4 <= stream.length; at += 4 + stream.readUInt16LE(at + 2)) {
    records.push({ type: stream.readUInt16LE(at), body: stream.subarray(at + 4, at + 4 + stream.readUInt16LE(at + 2)) });
  }
  const eofs = records.flatMap((record, index) => (record.type === EOF ? [index] : []));
  const start = (eofs.at(-2) ?? -1) + 1;
  const sheet = edit(records.slice(start, (eofs.at(-1) ?? records.length - 1) + 1));
  const content = Buffer.concat(
    [...records.slice(0, start), ...sheet].flatMap(({ type, body }) => {
      const header = Buffer.alloc(4);
      header.writeUInt16LE(type, 0);
      header.writeUInt16LE(body.length, 2);
      return [header, body];
    }),
  );
  entry.content = content;
  entry.size = content.length;
  return Buffer.from(CFB.write(container, { type: 'buffer' }));
}
