import {
  boolean,
  CellIssue,
  date,
  email,
  fail,
  integer,
  nafCode,
  nafList,
  postalCode,
  siren,
  siret,
  text,
  url,
  type Parsed,
} from '../src/cells';
import { everyTextOf, sirenFor, siretFor } from '@importer/testing';

const value = <T>(parsed: Parsed<T>) => (parsed instanceof CellIssue ? undefined : parsed);
const code = (parsed: Parsed<unknown>) => (parsed instanceof CellIssue ? parsed.code : undefined);

describe('cell rules', () => {
  it('accepts a SIREN with spaces and a valid checksum, and rejects a bad checksum or length', () => {
    const good = sirenFor(42);
    expect(value(siren(`${good.slice(0, 3)} ${good.slice(3, 6)} ${good.slice(6)}`))).toBe(good);
    expect(value(siren(Number(good)))).toBe(good);
    expect(code(siren(`${good.slice(0, 8)}${(Number(good[8]) + 1) % 10}`))).toBe('invalid_siren');
    expect(code(siren('12345'))).toBe('invalid_siren');
  });

  it('checks SIRET length and checksum', () => {
    const s = siretFor(sirenFor(7));
    expect(value(siret(s))).toBe(s);
    expect(code(siret(`${s.slice(0, 13)}${(Number(s[13]) + 1) % 10}`))).toBe('invalid_siret');
  });

  it('pads numeric postal codes and rejects malformed ones', () => {
    expect(value(postalCode(1000))).toBe('01000');
    expect(value(postalCode('1000'))).toBe('01000');
    expect(value(postalCode('75001'))).toBe('75001');
    expect(code(postalCode('750011'))).toBe('invalid_postal_code');
  });

  it('normalises NAF codes, alone and in lists', () => {
    expect(value(nafCode('6201Z'))).toBe('62.01Z');
    expect(value(nafCode('62.01z'))).toBe('62.01Z');
    expect(code(nafCode('62A1Z'))).toBe('invalid_naf_code');
    expect(value(nafList('6201Z; 62.02A,6201Z'))).toEqual(['62.01Z', '62.02A']);
  });

  it('parses booleans, integers, dates, e-mails and URLs', () => {
    expect(value(boolean('Oui'))).toBe(true);
    expect(value(boolean('0'))).toBe(false);
    expect(code(boolean('peut-être'))).toBe('invalid_boolean');
    expect(value(integer({ min: 0 })('12'))).toBe(12);
    expect(code(integer({ min: 0 })('-1'))).toBe('out_of_range');
    expect(code(integer()('1.5'))).toBe('invalid_integer');
    expect(value(date('31/12/2020'))).toBe('2020-12-31');
    expect(value(date('2020-02-29'))).toBe('2020-02-29');
    expect(code(date('31/02/2021'))).toBe('invalid_date');
    // As LibreOffice, Gnumeric and Excel write date-and-time cells to CSV; the time is dropped.
    expect(value(date('31/12/1999 18:45'))).toBe('1999-12-31');
    expect(value(date('1999/12/31 18:45:00'))).toBe('1999-12-31');
    expect(value(date('2020-02-29T10:00:00.000Z'))).toBe('2020-02-29');
    expect(value(date('31.12.1999'))).toBe('1999-12-31');
    for (const rejected of ['31/12/1999 noon', '31/12/1999 18h45', '12/1999', '1999-12']) {
      expect(code(date(rejected))).toBe('invalid_date');
    }
    expect(value(email('a.b@example.fr'))).toBe('a.b@example.fr');
    expect(code(email('not-an-email'))).toBe('invalid_email');
    expect(value(url('https://example.fr/x'))).toBe('https://example.fr/x');
    expect(code(url('ftp://example.fr'))).toBe('invalid_url');
    expect(code(text({ max: 3 })('abcd'))).toBe('too_long');
  });

  it('url accepts exactly what the URL parser accepts as an http(s) address with a dotted host', () => {
    // Plain addresses take a fast path; the others go through the parser, whose verdict stands.
    for (const accepted of [
      'HTTPS://EXAMPLE.FR',
      'http://a.b/x y',
      'https://a.b:8080/x',
      'https://a_b.fr',
      'https://1.2.3.4/',
      'https://0x7f.1',
    ]) {
      expect(code(url(accepted))).toBeUndefined();
    }
    for (const rejected of [
      'https://xn--zz.fr',
      'https://a.xn--9.fr',
      'https://1.2.3.256/',
      'https://999.999.999.999',
      'https://localhost',
    ]) {
      expect(code(url(rejected))).toBe('invalid_url');
    }
  });

  it('nafCode leaves a canonical code as it is and normalises the others', () => {
    expect(value(nafCode('62.01Z'))).toBe('62.01Z');
    expect(value(nafCode(' 62 01 z'))).toBe('62.01Z');
    expect(code(nafCode('62.01ZZ'))).toBe('invalid_naf_code');
  });
});

/**
 * The parsers check the common forms by their characters, without patterns; these are the rules as
 * patterns state them, to compare with on many generated cells.
 */
const reference = {
  /** SIREN (9) or SIRET (14, La Poste's rule aside: these cells are not La Poste's). */
  identifier: (text: string, length: number, name: string, label: string) => {
    const value = text.replace(/\s+/g, '');
    if (!new RegExp(`^\\d{${length}}$`).test(value)) return fail(`invalid_${name}`, `must be ${length} digits`);
    const sum = [...value]
      .reverse()
      .reduce((total, digit, i) => total + (i % 2 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][Number(digit)]! : Number(digit)), 0);
    return sum % 10 === 0 ? value : fail(`invalid_${name}`, `must have a valid ${label} checksum (Luhn)`);
  },
  postalCode: (raw: string) => {
    const value = /^\d{4}$/.test(raw) ? `0${raw}` : raw.toUpperCase();
    return /^(\d{5}|2[AB]\d{3})$/.test(value) ? value : null;
  },
  nafCode: (text: string) => {
    if (/^\d{2}\.\d{2}[A-Z]$/.test(text)) return text;
    const match = /^(\d{2})(\d{2})([A-Z])$/.exec(text.replace(/[\s.]/g, '').toUpperCase());
    return match ? `${match[1]}.${match[2]}${match[3]}` : null;
  },
  boolean: (text: string) => {
    const word = text.trim().toLowerCase();
    return ['oui', 'true', 'yes', '1', 'vrai', 'o', 'y'].includes(word)
      ? true
      : ['non', 'false', 'no', '0', 'faux', 'n'].includes(word)
        ? false
        : null;
  },
  date: (text: string) => {
    const iso = (year: number, month: number, day: number) => {
      const date = new Date(Date.UTC(year, month - 1, day));
      if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
      return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    };
    const value = text.trim();
    const yearFirst = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[T ].*)?$/.exec(value);
    if (yearFirst) return iso(Number(yearFirst[1]), Number(yearFirst[2]), Number(yearFirst[3]));
    const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/.exec(value);
    return dayFirst ? iso(Number(dayFirst[3]), Number(dayFirst[2]), Number(dayFirst[1])) : null;
  },
};

/** Seeded generator of cells made of the given pieces (mulberry32: the same cells on every run). */
function cellsOf(pieces: readonly string[], count: number, maxPieces: number, seed: number): string[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cells: string[] = [];
  for (let n = 0; n < count; n++) {
    let cell = '';
    const length = Math.floor(random() * (maxPieces + 1));
    for (let i = 0; i < length; i++) cell += pieces[Math.floor(random() * pieces.length)];
    cells.push(cell);
  }
  return cells;
}

/** The cells where a parser and its reference disagree, and how many cells the parser accepted. */
function compare(cells: readonly string[], parse: (cell: string) => unknown, expected: (cell: string) => unknown) {
  const disagreements: unknown[][] = [];
  let accepted = 0;
  for (const cell of cells) {
    const [got, wanted] = [parse(cell), expected(cell)];
    if (!(got instanceof CellIssue)) accepted++;
    const same =
      got instanceof CellIssue && wanted instanceof CellIssue ? got.code === wanted.code && got.message === wanted.message : got === wanted;
    if (!same) disagreements.push([cell, got, wanted]);
  }
  return { disagreements, accepted };
}

const orNull =
  <T>(parse: (cell: string) => Parsed<T>) =>
  (cell: string) =>
    value(parse(cell)) ?? null;

describe('cell rules checked by their characters', () => {
  const odd = [' ', '\t', '\u00a0', '\u2003', '.', '-', 'é', 'ſ', 'ı', 'K'];

  it('SIREN and SIRET accept exactly nine and fourteen digits once white space is removed', () => {
    const cells = [
      ...cellsOf(['1', '7', '0', ' ', ...odd], 5_000, 16, 1).filter((cell) => !cell.startsWith('356')),
      ...cellsOf(['12345', '6789', ' ', '1', '\u00a0'], 5_000, 5, 2),
      ...Array.from({ length: 500 }, (_, n) => sirenFor(n)),
      ...Array.from({ length: 500 }, (_, n) => siretFor(sirenFor(n))),
    ];
    const sirens = compare(cells, siren, (cell) => reference.identifier(cell, 9, 'siren', 'SIREN'));
    const sirets = compare(cells, siret, (cell) => reference.identifier(cell, 14, 'siret', 'SIRET'));
    expect([sirens.disagreements, sirets.disagreements]).toEqual([[], []]);
    expect(Math.min(sirens.accepted, sirets.accepted)).toBeGreaterThan(500);
  });

  it('postal codes, NAF codes and booleans come out as their patterns would have them', () => {
    const postal = compare(everyTextOf(['75', '001', '1000', '0', '2', 'A', 'b', ' ', '\u00a0', 'é'], 4), orNull(postalCode), (cell) =>
      reference.postalCode(cell.trim()),
    );
    const naf = compare(everyTextOf(['62', '01', '6', '.', 'Z', 'z', ' ', '\u00a0', 'ſ', 'é', 'A'], 4), orNull(nafCode), reference.nafCode);
    const words = ['oui', 'OUI', 'Non', 'true', 'FALSE', 'yes', 'no', '1', '0', 'vrai', 'faux', 'o', 'N', 'y', 'x'];
    const booleans = compare(cellsOf([...words, ' ', '\t', '\u00a0'], 5_000, 3, 5), orNull(boolean), reference.boolean);
    expect([postal.disagreements, naf.disagreements, booleans.disagreements]).toEqual([[], [], []]);
    expect(Math.min(postal.accepted, naf.accepted, booleans.accepted)).toBeGreaterThan(500);
  });

  it('dates keep their calendar: leap years, month lengths, years below 100 refused', () => {
    const cells = cellsOf(['0', '1', '2', '9', '20', '00', '29', '31', '-', '/', '.', ' ', 'T', ':'], 40_000, 9, 6);
    for (const year of [0, 99, 100, 1000, 1900, 2000, 2020, 2021, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          const [y, m, d] = [String(year).padStart(4, '0'), String(month).padStart(2, '0'), String(day).padStart(2, '0')];
          cells.push(`${y}-${m}-${d}`, `${d}/${m}/${y}`, `${y}/${m}/${d} 10:00`);
        }
      }
    }
    const dates = compare(cells, orNull(date), reference.date);
    expect(dates.disagreements).toEqual([]);
    expect(dates.accepted).toBeGreaterThan(500);
  });
});
