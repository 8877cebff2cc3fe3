/**
 * Cell parsers: pure functions from what a reader produced (CSV text, or a typed spreadsheet value) to a
 * column value or a row error. A blank cell never reaches a parser: blanks are handled by the caller.
 */

/** What a reader yields for one cell: CSV gives text; spreadsheets also give numbers and booleans (dates
 * arrive as `yyyy-mm-dd` text). */
export type Cell = string | number | boolean | null;

/** Why a cell was refused: a parser returns one in place of a value. */
export class CellIssue {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/**
 * A value, or the `CellIssue` that refused the cell. A value is returned as it is, not wrapped: parsers run
 * for every cell of a million-row file, and a result object per cell is garbage the collector must chase.
 */
export type Parsed<T> = T | CellIssue;
export type CellParser<T> = (cell: Exclude<Cell, null>) => Parsed<T>;

export const fail = (code: string, message: string): CellIssue => new CellIssue(code, message);

/** Cell as text, as a spreadsheet program would show a plain number. */
export function cellText(cell: Exclude<Cell, null>): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  return Number.isInteger(cell) ? cell.toFixed(0) : String(cell);
}

export function text(options: { max?: number } = {}): CellParser<string> {
  return (cell) => {
    const value = cellText(cell).trim();
    if (options.max !== undefined && value.length > options.max) {
      return fail('too_long', `must be at most ${options.max} characters, got ${value.length}`);
    }
    return value;
  };
}

export function integer(options: { min?: number; max?: number } = {}): CellParser<number> {
  const min = options.min ?? -2_147_483_648;
  const max = options.max ?? 2_147_483_647;
  return (cell) => {
    const value = typeof cell === 'number' ? cell : /^\s*[+-]?\d+\s*$/.test(cellText(cell)) ? Number(cellText(cell)) : NaN;
    if (!Number.isInteger(value)) return fail('invalid_integer', 'must be a whole number');
    if (value < min || value > max) return fail('out_of_range', `must be between ${min} and ${max}`);
    return value;
  };
}

const TRUE_WORDS = new Set(['oui', 'true', 'yes', '1', 'vrai', 'o', 'y']);
const FALSE_WORDS = new Set(['non', 'false', 'no', '0', 'faux', 'n']);

export const boolean: CellParser<boolean> = (cell) => {
  if (typeof cell === 'boolean') return cell;
  // The words as files spell them most often, matched before trimming and folding the case.
  switch (cell) {
    case 'oui':
    case 'true':
    case '1':
      return true;
    case 'non':
    case 'false':
    case '0':
      return false;
  }
  const word = cellText(cell).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return fail('invalid_boolean', 'must be one of oui/non, true/false, yes/no, 1/0');
};

/** Luhn checksum over a string of digits (SIREN and SIRET use it). */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const isDigitCode = (code: number) => code >= 48 && code <= 57;

function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  return true;
}

/**
 * The cell's text without its white space when that is `length` digits (`732 829 320`), else null. Most
 * cells are the digits alone: they are checked where they stand, without a copy.
 */
function digitsOf(cell: Exclude<Cell, null>, length: number): string | null {
  const text = cellText(cell);
  if (text.length === length && allDigits(text)) return text;
  const compact = text.replace(/\s+/g, '');
  return compact.length === length && allDigits(compact) ? compact : null;
}

export const siren: CellParser<string> = (cell) => {
  const value = digitsOf(cell, 9);
  if (value === null) return fail('invalid_siren', 'must be 9 digits');
  if (!luhnValid(value)) return fail('invalid_siren', 'must have a valid SIREN checksum (Luhn)');
  return value;
};

export const siret: CellParser<string> = (cell) => {
  const value = digitsOf(cell, 14);
  if (value === null) return fail('invalid_siret', 'must be 14 digits');
  // La Poste's establishments (SIREN 356000000) use a sum-of-digits rule instead of Luhn.
  const laPoste = value.startsWith('356000000') && [...value].reduce((s, d) => s + Number(d), 0) % 5 === 0;
  if (!luhnValid(value) && !laPoste) return fail('invalid_siret', 'must have a valid SIRET checksum (Luhn)');
  return value;
};

/** Five characters; a numeric spreadsheet cell such as 1000 becomes `01000`. */
export const postalCode: CellParser<string> = (cell) => {
  const raw = typeof cell === 'number' && Number.isInteger(cell) && cell >= 0 ? cell.toFixed(0).padStart(5, '0') : cellText(cell).trim();
  if ((raw.length === 5 || raw.length === 4) && allDigits(raw)) return raw.length === 5 ? raw : `0${raw}`;
  const value = raw.toUpperCase();
  // Corsica uses 2A/2B in department codes but postal codes are digits; DOM-TOM start with 97/98.
  if (!/^(\d{5}|2[AB]\d{3})$/.test(value)) return fail('invalid_postal_code', 'must be 5 characters, e.g. 75001');
  return value;
};

const isUpperCode = (code: number) => code >= 65 && code <= 90;

/** NAF (APE) code normalised to `NN.NNL`: `6201Z`, `62.01z` and `62 01 Z` all become `62.01Z`. */
function normaliseNaf(text: string): string | null {
  // The two forms of most files, told apart by their characters: `62.01Z` as it is, `6201Z` with its dot.
  const at = text.length - 5; // 1 with the dot, 0 without
  if (
    (at === 0 || (at === 1 && text.charCodeAt(2) === 46)) &&
    isDigitCode(text.charCodeAt(0)) &&
    isDigitCode(text.charCodeAt(1)) &&
    isDigitCode(text.charCodeAt(2 + at)) &&
    isDigitCode(text.charCodeAt(3 + at)) &&
    isUpperCode(text.charCodeAt(4 + at))
  ) {
    return at === 1 ? text : `${text.slice(0, 2)}.${text.slice(2)}`;
  }
  const compact = text.replace(/[\s.]/g, '').toUpperCase();
  const match = /^(\d{2})(\d{2})([A-Z])$/.exec(compact);
  return match ? `${match[1]}.${match[2]}${match[3]}` : null;
}

export const nafCode: CellParser<string> = (cell) => {
  const value = normaliseNaf(cellText(cell));
  return value ?? fail('invalid_naf_code', 'must be a NAF code such as 62.01Z or 6201Z');
};

/** A list of NAF codes separated by `,` or `;`. */
export const nafList: CellParser<string[]> = (cell) => {
  const parts = cellText(cell)
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean);
  const codes: string[] = [];
  for (const part of parts) {
    const code = normaliseNaf(part);
    if (!code) return fail('invalid_naf_code', `"${part}" is not a NAF code such as 62.01Z or 6201Z`);
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
};

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

export const email: CellParser<string> = (cell) => {
  const value = cellText(cell).trim();
  if (value.length > 320 || !EMAIL.test(value)) return fail('invalid_email', 'must be an e-mail address such as contact@example.fr');
  return value;
};

/**
 * Plain http(s) URLs that the URL parser accepts for certain, checked without building one: a host of
 * letters, digits and hyphens ending in an alphabetic top-level label (so never parsed as an IPv4 address),
 * then a path, query or fragment, and no punycode label anywhere (`xn--`, which the parser may reject).
 */
const PLAIN_URL = /^https?:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#][^\s\\]*)?$/i;
const PUNYCODE = /xn--/i;

export const url: CellParser<string> = (cell) => {
  const value = cellText(cell).trim();
  if (PLAIN_URL.test(value) && !PUNYCODE.test(value)) return value;
  try {
    const parsed = new URL(value);
    if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname.includes('.')) return value;
  } catch {
    // fall through
  }
  return fail('invalid_url', 'must be an http(s) URL such as https://example.fr');
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether a day exists in the (proleptic Gregorian) calendar. Years below 100 do not: `Date.UTC`, which
 * this rule replaces without building a Date, reads them as 19xx.
 */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 100 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
}

function isoDate(year: number, month: number, day: number): string | null {
  if (!isCalendarDate(year, month, day)) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A `yyyy-mm-dd` date (as spreadsheet readers write them), checked where it stands; else null. */
function isoDateAsIs(value: string): string | null {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return null;
  let year = 0;
  let month = 0;
  let day = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    if (i < 4) year = year * 10 + digit;
    else if (i < 7) month = month * 10 + digit;
    else day = day * 10 + digit;
  }
  return isCalendarDate(year, month, day) ? value : null;
}

const YEAR_FIRST = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[T ].*)?$/;
/** Day first, optionally with the time of day LibreOffice, Gnumeric and Excel write for a date-and-time cell. */
const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/;

/**
 * dd/mm/yyyy or yyyy-mm-dd (also with `/` or `.` between the parts, as spreadsheet programs write dates
 * to CSV), optionally followed by a time of day, which is dropped; or a spreadsheet date (readers turn
 * those into yyyy-mm-dd).
 */
export const date: CellParser<string> = (cell) => {
  const value = cellText(cell).trim();
  const asIs = isoDateAsIs(value);
  if (asIs !== null) return asIs;
  let match = YEAR_FIRST.exec(value);
  let iso = match ? isoDate(Number(match[1]), Number(match[2]), Number(match[3])) : null;
  if (!match) {
    match = DAY_FIRST.exec(value);
    iso = match ? isoDate(Number(match[3]), Number(match[2]), Number(match[1])) : null;
  }
  return iso ?? fail('invalid_date', 'must be a date as dd/mm/yyyy or yyyy-mm-dd');
};
