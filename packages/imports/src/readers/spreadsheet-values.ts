/**
 * Pure helpers for spreadsheet values: cell references, number formats that mean "date", date serials, a
 * sheet cell's value from its raw parts. No I/O; used by the streaming XLSX reader and tested on their own.
 */
import type { Cell } from '../cells';

/** Excel's last column (XFD) and last row. */
export const EXCEL_MAX_COLUMNS = 16_384;
export const EXCEL_MAX_ROWS = 1_048_576;

/** Zero-based column index of a column name or cell reference: `A` → 0, `AB12` → 27; -1 when malformed. */
export function columnIndex(reference: string): number {
  let index = 0;
  let letters = 0;
  for (let i = 0; i < reference.length; i++) {
    const code = reference.charCodeAt(i);
    const upper = code >= 97 && code <= 122 ? code - 32 : code;
    if (upper < 65 || upper > 90) break;
    index = index * 26 + (upper - 64);
    if (++letters > 3) return -1;
  }
  return letters === 0 ? -1 : index - 1;
}

/** Column name of a zero-based index: 0 → `A`, 27 → `AB`. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** What a number format shows a number as. */
export type FormatKind = 'date' | 'time' | 'number';

/** Built-in number formats (ECMA-376 §18.8.30 and the East Asian ones Excel also writes) that are dates or times. */
const BUILTIN_DATES = new Set([14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58]);
const BUILTIN_TIMES = new Set([18, 19, 20, 21, 32, 33, 45, 46, 47, 55, 56]);

/** Kind of a built-in number format id, `number` for the rest (General, 0.00, 0%, …). */
export function builtinFormatKind(id: number): FormatKind {
  if (BUILTIN_DATES.has(id)) return 'date';
  if (BUILTIN_TIMES.has(id)) return 'time';
  return 'number';
}

/**
 * Kind of a custom format code (`dd/mm/yyyy`, `[h]:mm`, `#,##0.00 "€"`). Only the first section counts;
 * quoted text, escaped and padding characters, colours and locale tags are ignored. `m` is a month unless
 * the format also has hours or seconds and no day or year.
 */
export function formatCodeKind(code: string): FormatKind {
  const section = firstSection(code)
    .replace(/"[^"]*"?/g, '')
    .replace(/\\.|_.|\*./g, '')
    .replace(/\[(h+|m+|s+)\]/gi, '$1')
    .replace(/\[[^\]]*\]?/g, '');
  if (/^general$/i.test(section.trim()) || section.includes('@')) return 'number';
  const hasDay = /[dy]/i.test(section);
  const hasTime = /[hs]/i.test(section) || /AM\/PM|A\/P/i.test(section);
  const hasM = /m/i.test(section);
  if (hasDay || (hasM && !hasTime)) return 'date';
  if (hasTime) return 'time';
  return 'number';
}

/** The part of a format code before the first unquoted `;`. */
function firstSection(code: string): string {
  let quoted = false;
  for (let i = 0; i < code.length; i++) {
    const char = code[i];
    if (char === '\\' && !quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === ';' && !quoted) return code.slice(0, i);
  }
  return code;
}

const DAY_MS = 86_400_000;
/** 1899-12-30: day 0 of the 1900 system once Lotus's phantom 1900-02-29 (serial 60) is accounted for. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * Calendar date of a spreadsheet date serial as `yyyy-mm-dd`, computed in UTC so no time zone shifts it.
 * The 1900 system keeps Excel's phantom 1900-02-29 (serial 60), which the date rule then rejects; the
 * 1904 system counts from 1904-01-01. The time of day is dropped (rounded to the second first, so
 * 0.99999999 of a day is the next day). Null for a serial that is not a date (negative, zero in the 1900
 * system, not finite, past year 9999).
 */
export function serialToIsoDate(serial: number, date1904 = false): string | null {
  if (!Number.isFinite(serial) || serial < 0) return null;
  let days = Math.floor(Math.round(serial * 86_400) / 86_400);
  if (!date1904) {
    if (days === 0) return null; // Excel shows 1900-01-00, not a date
    if (days === 60) return '1900-02-29';
    if (days < 60) days += 1;
  }
  const date = new Date((date1904 ? EPOCH_1904 : EPOCH_1900) + days * DAY_MS);
  const year = date.getUTCFullYear();
  if (year > 9999) return null;
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Time of day of a serial as `hh:mm:ss` (rounded to the second). */
export function serialToTime(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 0) return null;
  const seconds = Math.round(serial * 86_400) % 86_400;
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

const OOXML_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

/** Decodes OOXML's `_xHHHH_` escapes (Excel writes a carriage return in a cell as `_x000D_`). */
export function unescapeOoxml(text: string): string {
  return text.includes('_x') ? text.replace(OOXML_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : text;
}

/** A sheet cell's raw parts as the XML gives them. */
export interface RawCell {
  /** `t`: s (shared string), str (formula text), inlineStr, b, e, d (ISO date), n (default). */
  type: string;
  /** Text of `<v>`, or of the inline string's `<t>` elements. */
  value: string;
  hasValue: boolean;
  format: FormatKind;
}

/**
 * The cell value the profiles expect: text as text (leading zeros kept), numbers as numbers, dates as
 * `yyyy-mm-dd` (times as `hh:mm:ss`), booleans as booleans, errors and missing values as null. Formula
 * cells arrive here with their cached `<v>`. `string(i)` looks up shared string i; undefined when the
 * cell refers to a shared string that `string` does not have.
 */
export function cellValue(cell: RawCell, date1904: boolean, string: (index: number) => string | undefined): Cell | undefined {
  if (!cell.hasValue) return null;
  switch (cell.type) {
    case 's':
      return string(Number(cell.value));
    case 'str':
    case 'inlineStr':
      return unescapeOoxml(cell.value);
    case 'b':
      return cell.value.trim() === '1' || cell.value.trim() === 'true';
    case 'e':
      return null;
    case 'd': {
      const match = /^\d{4}-\d{2}-\d{2}/.exec(cell.value.trim());
      return match ? match[0] : cell.value;
    }
    default: {
      const text = cell.value.trim();
      if (text === '') return null;
      const number = Number(text);
      if (!Number.isFinite(number)) return text;
      if (cell.format === 'date') return serialToIsoDate(number, date1904) ?? number;
      if (cell.format === 'time') return serialToTime(number) ?? number;
      return number;
    }
  }
}
