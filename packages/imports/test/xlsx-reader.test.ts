import { readdirSync } from 'node:fs';
import * as XLSX from '@e965/xlsx';
import { COMPANY_HEADERS, companyRow, sheetXml, toXlsx, xlsxPackage, type XlsxCell } from '@importer/testing';
import { isEmptyRecord, openSource } from '../src/readers';
import { cleanUp, LIMITS, readAll, rejection, tempFile } from './read';

afterAll(cleanUp);

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

/** A styles part: custom number formats, and the number format of each cell style (`s` = index). */
function stylesXml(numFmts: [number, string][], cellXfs: number[]): string {
  const formats = numFmts.map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${code.replace(/"/g, '&quot;')}"/>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${NS}"><numFmts count="${numFmts.length}">${formats}</numFmts>` +
    // cellStyleXfs are not what `s` points at: a date format there must not make cells dates.
    `<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>` +
    `<cellXfs count="${cellXfs.length}">${cellXfs.map((id) => `<xf numFmtId="${id}" xfId="0" applyNumberFormat="1"/>`).join('')}</cellXfs></styleSheet>`
  );
}

/** Style indexes of `STYLES`. */
const S = { general: 0, builtinDate: 1, customDate: 2, time: 3, text: 4, customDateTime: 5 };
const STYLES = stylesXml(
  [
    [164, 'dd/mm/yyyy'],
    [165, '[$-40C]d mmmm yyyy h:mm'],
  ],
  [0, 14, 164, 20, 49, 165],
);

const oneSheet = (rows: XlsxCell[][], extra: Partial<Parameters<typeof xlsxPackage>[0]> = {}) =>
  xlsxPackage({ sheets: [{ name: 'Feuil1', xml: sheetXml(rows) }], stylesXml: STYLES, ...extra });

describe('XLSX cell values', () => {
  it('keeps text as text (leading zeros too), numbers as numbers, and turns date cells into yyyy-mm-dd', async () => {
    const book = oneSheet(
      [
        [{ t: 's', v: '0' }, { t: 's', v: '1' }, 'cp', 'date_creation', 'autre_date', 'heure', 'texte_nombre', 'horodatage'],
        [
          { t: 's', v: '2' }, // "012345678" from the shared strings
          '00123', // inline string
          1000, // a numeric postal code stays a number; the profile pads it
          { s: S.builtinDate, v: '40617' },
          { s: S.customDate, v: '43647.5' },
          { s: S.time, v: '0.5' },
          { s: S.text, v: '42' },
          { s: S.customDateTime, v: '45351.75' },
        ],
      ],
      { sharedStrings: ['siren', 'code', '012345678'] },
    );
    const { headers, records } = await readAll(book, 'xlsx');
    expect(headers).toEqual(['siren', 'code', 'cp', 'date_creation', 'autre_date', 'heure', 'texte_nombre', 'horodatage']);
    expect(records).toEqual([{ row: 2, cells: ['012345678', '00123', 1000, '2011-03-15', '2019-07-01', '12:00:00', 42, '2024-02-29'] }]);
  });

  it('counts dates from 1904 in a workbook using the 1904 date system', async () => {
    const book = oneSheet([['date'], [{ s: S.builtinDate, v: '39155' }]], { date1904: true });
    expect((await readAll(book, 'xlsx')).records[0]?.cells).toEqual(['2011-03-15']);
  });

  it('gives formula cells their cached value: numbers, text, booleans; errors and uncached formulas are blank', async () => {
    const book = oneSheet([
      ['nombre', 'texte', 'vrai', 'erreur', 'sans_cache', 'date_iso', 'faux'],
      [
        { f: 'SUM(A1:A3)', v: '42' },
        { t: 'str', f: 'A2&B2', v: '0123' },
        { t: 'b', f: 'TRUE()', v: '1' },
        { t: 'e', f: '1/0', v: '#DIV/0!' },
        { f: 'NOW()' },
        { t: 'd', v: '2020-05-06T00:00:00Z' },
        false,
      ],
    ]);
    expect((await readAll(book, 'xlsx')).records[0]?.cells).toEqual([42, '0123', true, null, null, '2020-05-06', false]);
  });

  it('joins rich-text runs, leaves out phonetic hints and decodes _xHHHH_ escapes in shared strings', async () => {
    const sst =
      `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${NS}" count="3" uniqueCount="3">` +
      '<si><t>nom</t></si>' +
      '<si><r><t>Ré</t></r><r><rPr><b/></rPr><t xml:space="preserve">sumé &amp; co</t></r><rPh sb="0" eb="1"><t>レ</t></rPh></si>' +
      '<si><t>ligne 1_x000D_\nligne 2</t></si></sst>';
    const book = oneSheet([[{ t: 's', v: '0' }], [{ t: 's', v: '1' }], [{ t: 's', v: '2' }]], {
      sharedStrings: [],
      parts: { 'xl/sharedStrings.xml': sst },
    });
    const { records } = await readAll(book, 'xlsx');
    expect(records.map((record) => record.cells[0])).toEqual(['Résumé & co', 'ligne 1\r\nligne 2']);
  });

  it('places cells by their reference, leaving gaps blank, and numbers rows by their r attribute', async () => {
    const xml = sheetXml(
      [
        ['a', 'b', 'c'],
        ['x', null, 'z'],
        [null, null, 'only c'],
      ],
      { rowNumbers: [1, 5, 9] },
    );
    const { records } = await readAll(xlsxPackage({ sheets: [{ name: 'S', xml }] }), 'xlsx');
    expect(records).toEqual([
      { row: 5, cells: ['x', null, 'z'] },
      { row: 9, cells: [null, null, 'only c'] },
    ]);
  });

  it('builds rows as arrays: __proto__ and constructor headers are plain text', async () => {
    const book = oneSheet([
      ['__proto__', 'constructor', 'siren'],
      ['{"polluted":1}', 'x', '123'],
    ]);
    const { headers, records } = await readAll(book, 'xlsx');
    expect(headers).toEqual(['__proto__', 'constructor', 'siren']);
    expect(records[0]?.cells).toEqual(['{"polluted":1}', 'x', '123']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a workbook written by SheetJS (shared strings) like the CSV of the same rows', async () => {
    const rows = Array.from({ length: 50 }, (_, n) => companyRow(n));
    const sheet = XLSX.utils.aoa_to_sheet([[...COMPANY_HEADERS], ...rows.map((row) => COMPANY_HEADERS.map((h) => row[h] ?? null))]);
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, sheet, 'Entreprises');
    const bytes = XLSX.write(book, { type: 'buffer', bookType: 'xlsx', bookSST: true }) as Buffer;
    const { source, headers, records } = await readAll(bytes, 'xlsx');
    expect(source.dialect).toEqual({ format: 'xlsx', encoding: null, delimiter: null, sheet: 'Entreprises' });
    expect(headers).toEqual([...COMPANY_HEADERS]);
    expect(records).toHaveLength(50);
    expect(records[7]).toEqual({ row: 9, cells: COMPANY_HEADERS.map((h) => rows[7]?.[h]) });
    // and the fixture helper's workbooks (inline strings, numbers)
    const plain = await readAll(toXlsx(['siren', 'cp'], [{ siren: '012', cp: 1000 }]), 'xlsx');
    expect(plain.records).toEqual([{ row: 2, cells: ['012', 1000] }]);
  });
});

describe('choosing the sheet', () => {
  const book = xlsxPackage({
    sheets: [
      { name: 'Couverture', xml: sheetXml([[{ s: 0 }, null], [' ']]) }, // a styled empty cell and a blank: empty
      { name: 'Vide', xml: sheetXml([]) },
      { name: 'Données', xml: sheetXml([[], [], ['siren', 'nom'], ['1', 'a']]) },
      { name: 'Autre', xml: sheetXml([['x'], ['2']]) },
    ],
  });

  it('reads the first sheet with a value, its header being its first non-empty row', async () => {
    const { source, headers, records } = await readAll(book, 'xlsx');
    expect(source.dialect.sheet).toBe('Données');
    expect(headers).toEqual(['siren', 'nom']);
    expect(records).toEqual([{ row: 4, cells: ['1', 'a'] }]);
  });

  it('reads the sheet the option names, ignoring case and surrounding spaces', async () => {
    expect((await readAll(book, 'xlsx', { sheet: 'Autre' })).records).toEqual([{ row: 2, cells: ['2'] }]);
    expect((await readAll(book, 'xlsx', { sheet: ' autre ' })).source.dialect.sheet).toBe('Autre');
  });

  it('fails an unknown sheet, listing the sheets; and an empty one', async () => {
    const unknown = await rejection(readAll(book, 'xlsx', { sheet: 'Clients' }));
    expect(unknown).toMatchObject({ code: 'unknown_sheet' });
    expect(unknown.message).toBe('The workbook has no sheet "Clients"; its sheets are "Couverture", "Vide", "Données", "Autre".');
    expect(await rejection(readAll(book, 'xlsx', { sheet: 'Vide' }))).toMatchObject({
      code: 'empty_file',
      message: 'The sheet "Vide" is empty.',
    });
  });

  it('passes over hidden sheets unless no visible sheet has a value, or the option names one', async () => {
    const lists = { name: 'Listes', xml: sheetXml([['naf'], ['62.01Z']]), state: 'hidden' };
    const settings = { name: 'Réglages', xml: sheetXml([['x']]), state: 'veryHidden' };
    const hidden = xlsxPackage({ sheets: [lists, settings, { name: 'Entreprises', xml: sheetXml([['siren'], ['1']]) }] });
    expect((await readAll(hidden, 'xlsx')).source.dialect.sheet).toBe('Entreprises');
    expect((await readAll(hidden, 'xlsx', { sheet: 'listes' })).records).toEqual([{ row: 2, cells: ['62.01Z'] }]);
    const onlyHidden = xlsxPackage({ sheets: [{ name: 'Vide', xml: sheetXml([]) }, lists] });
    expect((await readAll(onlyHidden, 'xlsx')).source.dialect.sheet).toBe('Listes');
  });

  it('fails a workbook whose sheets are all empty', async () => {
    const empty = xlsxPackage({
      sheets: [
        { name: 'A', xml: sheetXml([]) },
        { name: 'B', xml: sheetXml([[null, '']]) },
      ],
    });
    expect(await rejection(readAll(empty, 'xlsx'))).toMatchObject({ code: 'empty_file', message: 'Every sheet of the workbook is empty.' });
  });
});

describe('XLSX limits and malformed sheets', () => {
  it('ignores <dimension>, however large it claims the sheet is', async () => {
    const xml = sheetXml([['a'], ['1']], { dimension: 'A1:XFD1048576' });
    expect((await readAll(xlsxPackage({ sheets: [{ name: 'S', xml }] }), 'xlsx')).records).toEqual([{ row: 2, cells: ['1'] }]);
  });

  it('fails a value past MAX_COLUMNS, naming the row and column; trailing styled blanks do not count', async () => {
    const blanks = sheetXml([
      ['a', 'b', null, null, null, { s: 0 }],
      ['1', '2', null, null, null, 'x'],
    ]);
    const error = await rejection(readAll(xlsxPackage({ sheets: [{ name: 'S', xml: blanks }] }), 'xlsx', { limits: { maxColumns: 5 } }));
    expect(error).toMatchObject({ code: 'too_many_columns', details: { row: 2, column: 6, maxColumns: 5 } });
    expect(error.message).toBe('Row 2 has a value in column F (column 6); at most 5 columns are allowed (MAX_COLUMNS).');
  });

  it('fails rows out of order or past the last row Excel has, and references to missing shared strings', async () => {
    const backwards = sheetXml([['a'], ['1']], { rowNumbers: [2, 1] });
    expect(await rejection(readAll(xlsxPackage({ sheets: [{ name: 'S', xml: backwards }] }), 'xlsx'))).toMatchObject({
      code: 'unreadable_file',
    });
    const huge = sheetXml([['a'], ['1']], { rowNumbers: [1, 3_000_000_000] });
    expect(await rejection(readAll(xlsxPackage({ sheets: [{ name: 'S', xml: huge }] }), 'xlsx'))).toMatchObject({
      code: 'unreadable_file',
    });
    const dangling = oneSheet([[{ t: 's', v: '5' }]], { sharedStrings: ['a'] });
    const error = await rejection(readAll(dangling, 'xlsx'));
    expect(error).toMatchObject({ code: 'unreadable_file' });
    expect(error.message).toContain('cell A1 refers to shared string 5');
  });
});

describe('streaming a sheet', () => {
  it("lets go of the shared strings' files, which the parsing thread opens for the process, however the reading ends", async () => {
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const book = oneSheet([[{ t: 's', v: '0' }], [{ t: 's', v: '1' }], [{ t: 's', v: '2' }]], { sharedStrings: ['id', 'a', 'b'] });
    await readAll(book, 'xlsx'); // a first thread, so that what stays open for good is counted below
    const before = descriptors();
    expect((await readAll(book, 'xlsx')).records).toEqual([
      { row: 2, cells: ['a'] },
      { row: 3, cells: ['b'] },
    ]);
    const early = await openSource(await tempFile(book, 'xlsx'), 'xlsx', LIMITS);
    await early.close();
    const dangling = oneSheet([[{ t: 's', v: '0' }], [{ t: 's', v: '7' }]], { sharedStrings: ['id'] });
    expect(await rejection(readAll(dangling, 'xlsx'))).toMatchObject({ code: 'unreadable_file' });
    expect(descriptors()).toBe(before);
  });

  it('inflates the sheet only as fast as batches are consumed, and reports progress from compressed bytes', async () => {
    const rows: XlsxCell[][] = [['id', 'texte', 'nombre']];
    for (let n = 0; n < 40_000; n++) rows.push([`${n}`, `valeur ${(n * 7919) % 100_003}`, n * 1.5]);
    const file = await tempFile(xlsxPackage({ sheets: [{ name: 'S', xml: sheetXml(rows) }] }), 'xlsx');
    const source = await openSource(file, 'xlsx', LIMITS);
    const batches = source.batches(100)[Symbol.asyncIterator]();
    const first = await batches.next();
    expect(first.value).toHaveLength(100);
    expect(source.progress()).toBeGreaterThan(0);
    expect(source.progress()).toBeLessThan(0.5);
    let count = 100;
    let last: unknown;
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      count += next.value.length;
      last = next.value.at(-1);
    }
    expect(count).toBe(40_000);
    expect(last).toEqual({ row: 40_001, cells: ['39999', `valeur ${(39_999 * 7919) % 100_003}`, 39_999 * 1.5] });
    expect(source.progress()).toBe(1);
    await source.close();
  });

  it('can be closed early', async () => {
    const file = await tempFile(xlsxPackage({ sheets: [{ name: 'S', xml: sheetXml([['id'], ['1'], ['2'], ['3'], ['4']]) }] }), 'xlsx');
    const source = await openSource(file, 'xlsx', LIMITS);
    const rows: number[] = [];
    for await (const batch of source.batches(1)) {
      rows.push(...batch.map((record) => record.row));
      break;
    }
    await source.close();
    expect(rows).toEqual([2]);
  });

  it('skips rows that are entirely blank inside the data', async () => {
    const { records } = await readAll(
      xlsxPackage({ sheets: [{ name: 'S', xml: sheetXml([['id'], ['1'], [''], [{ s: 0 }], ['2']]) }] }),
      'xlsx',
    );
    expect(records.filter((record) => !isEmptyRecord(record.cells)).map((record) => record.row)).toEqual([2, 5]);
  });
});

describe('legacy XLS (SheetJS)', () => {
  it('reads a BIFF8 workbook: text with leading zeros, numbers, dates as yyyy-mm-dd, and the sheet option', async () => {
    const sheet = XLSX.utils.aoa_to_sheet([
      ['siren', 'cp', 'date_creation'],
      ['012345678', 1000, { t: 'n', v: 40617, z: 'dd/mm/yyyy' }],
    ]);
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([[]]), 'Vide');
    XLSX.utils.book_append_sheet(book, sheet, 'Entreprises');
    const bytes = XLSX.write(book, { type: 'buffer', bookType: 'biff8' }) as Buffer;
    const { source, records } = await readAll(bytes, 'xls');
    expect(source.dialect).toEqual({ format: 'xls', encoding: null, delimiter: null, sheet: 'Entreprises' });
    expect(records).toEqual([{ row: 2, cells: ['012345678', 1000, '2011-03-15'] }]);
    const unknown = await rejection(readAll(bytes, 'xls', { sheet: 'Clients' }));
    expect(unknown).toMatchObject({
      code: 'unknown_sheet',
      message: 'The workbook has no sheet "Clients"; its sheets are "Vide", "Entreprises".',
    });
  });
});
