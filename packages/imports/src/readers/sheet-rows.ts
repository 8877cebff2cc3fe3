import type { Cell } from '../cells';
import { BadFileError } from '../errors';
import type { SharedStrings } from './shared-strings';
import { RowScanner } from './sheet-row-scanner';
import { cellTooLarge, type SourceRecord } from './source';
import { EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, cellValue, columnIndex, columnName, type FormatKind, type RawCell } from './spreadsheet-values';
import { XML_NEEDS_MORE, XML_VALUE_TOO_LARGE, XmlPartParser, type XmlElement } from './xml';

/** Longest rest of a piece a row cut by its end may hold and still wait, whole, for the next piece. */
const CUT_ROW_CHARS = 64 * 1024;

export interface SheetContext {
  /** Zip entry of the sheet (named in errors). */
  part: string;
  strings: SharedStrings | null;
  /** Format kind of each cell style. */
  formats: readonly FormatKind[];
  date1904: boolean;
  maxColumns: number;
  /** Longest value or tag the XML may hold. */
  maxPendingChars: number;
  /** MAX_CELL_KB, named when a cell is longer than the XML may hold. */
  maxCellChars: number;
}

/** A worksheet's XML parsed as it is given, piece by piece. */
export interface SheetParser {
  /** Parses the next piece of the sheet's XML; returns the rows it completed. */
  write(bytes: Buffer): SourceRecord[];
  /** Ends the sheet (a truncated one fails here); returns its last rows. */
  end(): SourceRecord[];
}

/**
 * Parses a worksheet's rows (`<sheetData>`) into records numbered by their `r` attribute. `<dimension>` is
 * ignored: nothing is allocated from what the sheet claims. Cells are placed by their reference; a value
 * beyond `maxColumns`, a row number past Excel's last row or out of order fails the file. Rows written the
 * usual way are read whole by `RowScanner`; the others, and every error, tag by tag here.
 */
export function sheetParser(context: SheetContext): SheetParser {
  const { part, strings, formats, date1904, maxColumns, maxPendingChars, maxCellChars } = context;
  let ready: SourceRecord[] = [];
  let inSheetData = false;
  let rowNumber = 0;
  let cells: Cell[] | null = null;
  let column = -1;
  /** Between a cell's `<c>` and `</c>`. */
  let inCell = false;
  let capture: 'v' | 't' | null = null;
  let inInline = false;
  let inPhonetic = false;
  const cell: RawCell = { type: 'n', value: '', hasValue: false, format: 'number' };
  const lookup = (index: number) => {
    const found = strings?.get(index);
    if (found === undefined) {
      throw new BadFileError(
        'unreadable_file',
        `${part}: cell ${columnName(column)}${rowNumber} refers to shared string ${index}, which does not exist.`,
        {
          part,
        },
      );
    }
    return found;
  };

  const open = (element: XmlElement) => {
    const { name } = element;
    if (!inSheetData) {
      if (name === 'sheetData') inSheetData = true;
      return;
    }
    switch (name) {
      case 'row': {
        const r = element.attribute('r');
        const next = r === undefined ? rowNumber + 1 : Number(r);
        if (!Number.isInteger(next) || next <= rowNumber || next > EXCEL_MAX_ROWS) {
          throw new BadFileError(
            'unreadable_file',
            `${part}: row number "${r}" after row ${rowNumber} is not valid (rows must increase, up to ${EXCEL_MAX_ROWS}).`,
            { part },
          );
        }
        rowNumber = next;
        cells = [];
        column = -1;
        break;
      }
      case 'c': {
        const r = element.attribute('r');
        const next = r === undefined ? column + 1 : columnIndex(r);
        if (next < 0 || next >= EXCEL_MAX_COLUMNS) {
          throw new BadFileError('unreadable_file', `${part}: row ${rowNumber} has a cell with a bad reference "${r}".`, {
            part,
          });
        }
        column = next;
        inCell = true;
        cell.type = element.attribute('t') ?? 'n';
        cell.value = '';
        cell.hasValue = false;
        const s = element.attribute('s');
        const style = s === undefined ? 0 : Number(s);
        cell.format = formats[style] ?? 'number';
        break;
      }
      case 'v':
        capture = 'v';
        break;
      case 'is':
        inInline = true;
        break;
      case 'rPh':
        inPhonetic = true;
        break;
      case 't':
        if (inInline && !inPhonetic) capture = 't';
        break;
    }
  };

  const text = (chunk: string) => {
    cell.value += chunk;
    if (cell.value.length > maxPendingChars) throw tooLarge();
  };
  /** The cell being read is longer than the XML may hold: the file fails, naming the cell. */
  const tooLarge = () =>
    cellTooLarge(
      `Row ${rowNumber}, column ${columnName(column)}`,
      { maxRecordChars: maxPendingChars, maxCellChars },
      { part, row: rowNumber, column: column + 1 },
    );

  const close = (name: string) => {
    if (!inSheetData) return;
    switch (name) {
      case 'v':
      case 't':
        if (capture !== null) cell.hasValue = true;
        capture = null;
        break;
      case 'is':
        inInline = false;
        break;
      case 'rPh':
        inPhonetic = false;
        break;
      case 'c': {
        inCell = false;
        const value = cellValue(cell, date1904, lookup);
        if (value === null || value === undefined || cells === null) break;
        if (column >= maxColumns) {
          throw new BadFileError(
            'too_many_columns',
            `Row ${rowNumber} has a value in column ${columnName(column)} (column ${column + 1}); at most ${maxColumns} columns are allowed (MAX_COLUMNS).`,
            { row: rowNumber, column: column + 1, maxColumns },
          );
        }
        while (cells.length < column) cells.push(null);
        cells[column] = value;
        break;
      }
      case 'row':
        if (cells) ready.push({ row: rowNumber, cells });
        cells = null;
        break;
      case 'sheetData':
        inSheetData = false;
        break;
    }
  };

  const scanner = new RowScanner({
    part,
    formats,
    date1904,
    string: (index) => strings?.get(index),
    maxColumns,
    maxValueChars: maxPendingChars,
  });
  /**
   * A whole row read by the scanner, when it can; numbered and checked as `open` does, else left to it. A
   * row cut by the end of the piece (no `</row>` after it, and short: a long one goes tag by tag rather
   * than be searched again with each piece) waits for the next piece.
   */
  const element = (source: string, at: number): number => {
    if (!inSheetData || source.charCodeAt(at + 1) !== 0x72 || !source.startsWith('<row', at)) return -1;
    const end = scanner.read(source, at);
    if (end < 0) return source.length - at <= CUT_ROW_CHARS && source.indexOf('</row>', at) < 0 ? XML_NEEDS_MORE : -1;
    const next = scanner.number < 0 ? rowNumber + 1 : scanner.number;
    if (next <= rowNumber || next > EXCEL_MAX_ROWS) return -1;
    rowNumber = next;
    ready.push({ row: next, cells: scanner.cells });
    return end;
  };

  const parser = new XmlPartParser(part, { open, text, close, wantsText: () => capture !== null, element }, maxPendingChars);
  const take = () => {
    const records = ready;
    ready = [];
    return records;
  };
  return {
    // The sheet is read to its end even after </sheetData>: its size and CRC are only checked there.
    write(bytes) {
      try {
        parser.write(bytes);
      } catch (error) {
        // The parser bounds text between two tags: inside a cell, that text is the cell's value.
        throw inCell && error instanceof BadFileError && error.code === XML_VALUE_TOO_LARGE ? tooLarge() : error;
      }
      return take();
    },
    end() {
      parser.end();
      return take();
    },
  };
}
