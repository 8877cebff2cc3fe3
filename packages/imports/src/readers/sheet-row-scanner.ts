import type { Cell } from '../cells';
import { cellValue, EXCEL_MAX_COLUMNS, type FormatKind, type RawCell } from './spreadsheet-values';
import { xmlText } from './xml';

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const SPACE = 0x20;
const LOWER_C = 0x63;
const LOWER_F = 0x66;
const LOWER_I = 0x69;
const LOWER_R = 0x72;
const LOWER_S = 0x73;
const LOWER_T = 0x74;
const LOWER_V = 0x76;
/** Returned when the row is not one this scanner reads: the XML scanner then reads it tag by tag. */
const LEAVE = -1;
/** `r` of a row that has none. */
const NO_NUMBER = -1;

/** Letters, digits and `:` `_` `-` `.`: what attribute names are made of here. */
function isNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x3a) ||
    code === 0x5f ||
    code === 0x2d ||
    code === 0x2e
  );
}

/** The whole number written in decimal digits from `start` to `end` (at most 7), or -1. */
function digitsAt(source: string, start: number, end: number): number {
  if (end <= start || end - start > 7) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = source.charCodeAt(i) - 0x30;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/** Zero-based column of the letters a cell reference starts with (`AB12` → 27), or -1. */
function columnAt(source: string, start: number, end: number): number {
  let index = 0;
  let i = start;
  for (; i < end && i - start <= 3; i++) {
    const code = source.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    index = index * 26 + (code - 0x60);
  }
  const letters = i - start;
  return letters === 0 || letters > 3 ? -1 : index - 1;
}

/** The cell type a `t` value names, as `cellValue` knows it; null for one it does not. */
function cellType(source: string, start: number, end: number): string | null {
  switch (end - start) {
    case 1:
      switch (source.charCodeAt(start)) {
        case LOWER_S:
          return 's';
        case 0x6e:
          return 'n';
        case 0x62:
          return 'b';
        case 0x65:
          return 'e';
        case 0x64:
          return 'd';
      }
      return null;
    case 3:
      return source.startsWith('str', start) ? 'str' : null;
    case 9:
      return source.startsWith('inlineStr', start) ? 'inlineStr' : null;
  }
  return null;
}

export interface RowScannerOptions {
  /** The sheet's part, named in errors. */
  part: string;
  formats: readonly FormatKind[];
  date1904: boolean;
  /** Shared string i, undefined when there is none. */
  string: (index: number) => string | undefined;
  maxColumns: number;
  /** Longest value a cell may hold here. */
  maxValueChars: number;
}

/**
 * Reads a sheet's `<row>` in one go when it is written the way spreadsheet programs write rows: each tag
 * in one piece, attributes double-quoted and one space apart, no prefix, no white space or comment between
 * tags, cells made of `<v>` (after an optional `<f>`) or of a plain inline string. Values go through the
 * same conversion (`cellValue`) as the tag-by-tag reading in `sheet-rows.ts`, which reads every other row
 * and gives every error: anything unexpected here, including what would fail the file (a bad reference, a
 * missing shared string, a value past MAX_COLUMNS), leaves the row to it, unchanged.
 */
export class RowScanner {
  /** The row read: its `r` (-1 when it has none) and cells. */
  number = NO_NUMBER;
  cells: Cell[] = [];
  private readonly cell: RawCell = { type: 'n', value: '', hasValue: false, format: 'number' };
  private column = -1;
  private position = 0;

  constructor(private readonly options: RowScannerOptions) {}

  /** Reads the row starting at `at` (`<row`): the index after its end, or -1. */
  read(source: string, at: number): number {
    let p = at + 4;
    let number = NO_NUMBER;
    for (;;) {
      const code = source.charCodeAt(p);
      if (code === GT) {
        p++;
        break;
      }
      if (code === SLASH) {
        if (source.charCodeAt(p + 1) !== GT) return LEAVE;
        this.number = number;
        this.cells = [];
        return p + 2;
      }
      if (code !== SPACE) return LEAVE;
      const name = p + 1;
      p = this.attribute(source, name);
      if (p < 0) return LEAVE;
      if (this.position - name === 1 && source.charCodeAt(name) === LOWER_R && number === NO_NUMBER) {
        number = digitsAt(source, this.position + 2, p - 1);
        if (number < 0) return LEAVE;
      }
    }
    const cells: Cell[] = [];
    this.column = -1;
    for (;;) {
      if (source.charCodeAt(p) !== LT) return LEAVE;
      const next = source.charCodeAt(p + 1);
      if (next === LOWER_C) p = this.readCell(source, p + 2, cells);
      else if (next === SLASH && source.startsWith('row>', p + 2)) {
        this.number = number;
        this.cells = cells;
        return p + 6;
      } else return LEAVE;
      if (p < 0) return LEAVE;
    }
  }

  /**
   * Reads `name="value"` at `start`: returns the index after the closing quote, or -1; `position` is left
   * at the end of the name (the value starts 2 further on).
   */
  private attribute(source: string, start: number): number {
    let p = start;
    while (isNameChar(source.charCodeAt(p))) p++;
    if (p === start || source.charCodeAt(p) !== EQUALS || source.charCodeAt(p + 1) !== QUOTE) return LEAVE;
    this.position = p;
    const end = source.indexOf('"', p + 2);
    return end < 0 ? LEAVE : end + 1;
  }

  /** Skips a tag's attributes (each after a space) from `start`: the index after the last, or -1. */
  private skipAttributes(source: string, start: number): number {
    let p = start;
    while (p >= 0 && source.charCodeAt(p) === SPACE) p = this.attribute(source, p + 1);
    return p;
  }

  /** Reads a cell from after its `<c` into `cells`: the index after its end, or -1. */
  private readCell(source: string, start: number, cells: Cell[]): number {
    const { options, cell } = this;
    let p = start;
    let column = NO_NUMBER;
    let type: string | null = 'n';
    let style = 0;
    let seen = 0; // r, t, s read: 1, 2, 4 (the first of each counts, as in the tag-by-tag reading)
    let code = source.charCodeAt(p);
    while (code === SPACE) {
      const name = p + 1;
      p = this.attribute(source, name);
      if (p < 0) return LEAVE;
      if (this.position - name === 1) {
        const valueStart = this.position + 2;
        switch (source.charCodeAt(name)) {
          case LOWER_R:
            if (!(seen & 1)) column = columnAt(source, valueStart, p - 1);
            if (column < 0) return LEAVE;
            seen |= 1;
            break;
          case LOWER_T:
            if (!(seen & 2)) type = cellType(source, valueStart, p - 1);
            if (type === null) return LEAVE;
            seen |= 2;
            break;
          case LOWER_S:
            if (!(seen & 4)) style = digitsAt(source, valueStart, p - 1);
            if (style < 0) return LEAVE;
            seen |= 4;
            break;
        }
      }
      code = source.charCodeAt(p);
    }
    this.column = column === NO_NUMBER ? this.column + 1 : column;
    if (this.column >= EXCEL_MAX_COLUMNS) return LEAVE;
    cell.type = type;
    cell.value = '';
    cell.hasValue = false;
    cell.format = options.formats[style] ?? 'number';
    if (code === SLASH) {
      if (source.charCodeAt(p + 1) !== GT) return LEAVE;
      return p + 2; // no value: nothing to place
    }
    if (code !== GT) return LEAVE;
    p++;
    for (;;) {
      if (source.charCodeAt(p) !== LT) return LEAVE;
      const next = source.charCodeAt(p + 1);
      if (next === SLASH) {
        if (source.charCodeAt(p + 2) !== LOWER_C || source.charCodeAt(p + 3) !== GT) return LEAVE;
        p += 4;
        break;
      }
      if (cell.hasValue) return LEAVE;
      if (next === LOWER_V) p = this.value(source, p + 2);
      else if (next === LOWER_F) p = this.skipFormula(source, p + 2);
      else if (next === LOWER_I && source.startsWith('is><t', p + 1)) p = this.inlineString(source, p + 6);
      else return LEAVE;
      if (p < 0) return LEAVE;
    }
    const value = cellValue(cell, options.date1904, options.string);
    if (value === undefined) return LEAVE;
    if (value !== null) {
      const column = this.column;
      if (column >= options.maxColumns) return LEAVE;
      while (cells.length < column) cells.push(null);
      cells[column] = value;
    }
    return p;
  }

  /** `<v>text</v>` or `<v/>` from after `<v`. */
  private value(source: string, start: number): number {
    const code = source.charCodeAt(start);
    if (code === SLASH) {
      if (source.charCodeAt(start + 1) !== GT) return LEAVE;
      this.cell.hasValue = true;
      return start + 2;
    }
    if (code !== GT) return LEAVE;
    return this.text(source, start + 1, 'v>');
  }

  /** Plain text up to `</` + `close` (`v>`, `t></is>`): the cell's value. */
  private text(source: string, start: number, close: string): number {
    const end = source.indexOf('<', start);
    if (end < 0 || source.charCodeAt(end + 1) !== SLASH || !source.startsWith(close, end + 2)) return LEAVE;
    if (end - start > this.options.maxValueChars) return LEAVE;
    this.cell.value = xmlText(source.slice(start, end), this.options.part);
    this.cell.hasValue = true;
    return end + 2 + close.length;
  }

  /** `<is><t>text</t></is>` (or `<t xml:space="preserve">`) from after `<is><t`. */
  private inlineString(source: string, start: number): number {
    const p = this.skipAttributes(source, start);
    if (p < 0 || source.charCodeAt(p) !== GT) return LEAVE;
    return this.text(source, p + 1, 't></is>');
  }

  /** `<f …/>` or `<f …>formula</f>` from after `<f`: skipped, its cached value is the `<v>` after it. */
  private skipFormula(source: string, start: number): number {
    const p = this.skipAttributes(source, start);
    if (p < 0) return LEAVE;
    const code = source.charCodeAt(p);
    if (code === SLASH) return source.charCodeAt(p + 1) === GT ? p + 2 : LEAVE;
    if (code !== GT) return LEAVE;
    const end = source.indexOf('<', p + 1);
    return end < 0 || !source.startsWith('</f>', end) ? LEAVE : end + 4;
  }
}
