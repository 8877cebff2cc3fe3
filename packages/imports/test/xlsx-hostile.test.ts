import { sheetXml, xlsxPackage, zipArchive } from '@importer/testing';
import { cleanUp, readAll, rejection } from './read';

afterAll(cleanUp);

const MB = 1024 * 1024;
const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const SHEET = 'xl/worksheets/sheet1.xml';
const goodSheet = sheetXml([
  ['siren', 'nom'],
  ['732829320', 'Acme'],
]);
const book = (xml: string, extra: Partial<Parameters<typeof xlsxPackage>[0]> = {}) =>
  xlsxPackage({ sheets: [{ name: 'S', xml }], ...extra });

describe('zip bombs and lying headers', () => {
  it('stops an entry that inflates past the size it declares, as soon as it does', async () => {
    const bomb = `<worksheet xmlns="${NS}"><sheetData>${' '.repeat(20 * MB)}</sheetData></worksheet>`;
    const bytes = book(bomb, { tamper: (entry) => (entry.name === SHEET ? { ...entry, declaredSize: 1000 } : entry) });
    expect(bytes.length).toBeLessThan(100 * 1024);
    const error = await rejection(readAll(bytes, 'xlsx'));
    expect(error).toMatchObject({ code: 'inflated_too_large', details: { entry: SHEET, declaredBytes: 1000 } });
    expect(error.message).toMatch(/declares 1000 bytes once inflated but inflates to more: the file is a zip bomb or damaged/);
  });

  it('refuses a workbook whose parts declare more than MAX_XLSX_INFLATED_MB in all, before inflating them', async () => {
    const rows = Array.from({ length: 20_000 }, (_, n) => [`${n}`, `valeur ${n}`]);
    const error = await rejection(readAll(book(sheetXml([['id', 'v'], ...rows])), 'xlsx', { limits: { maxInflatedBytes: MB } }));
    expect(error).toMatchObject({ code: 'inflated_too_large', details: { entry: SHEET, maxInflatedBytes: MB } });
    expect(error.message).toMatch(/inflates to more than 1 MB .*MAX_XLSX_INFLATED_MB/);
  });

  it('fails an entry that inflates to less than it declares', async () => {
    const padding = `<sst xmlns="${NS}">${'<si><t>x</t></si>'.repeat(100_000)}</sst>`; // 1.7 MB
    const bytes = book(goodSheet, {
      sharedStrings: [],
      parts: { 'xl/sharedStrings.xml': padding },
      tamper: (entry) => (entry.name === 'xl/sharedStrings.xml' ? { ...entry, declaredSize: 3 * MB } : entry),
    });
    const error = await rejection(readAll(bytes, 'xlsx', { limits: { maxInflatedBytes: 4 * MB } }));
    expect(error).toMatchObject({ code: 'unreadable_file' });
    expect(error.message).toMatch(/xl\/sharedStrings.xml inflates to \d+ bytes instead of the 3145728 it declares/);
  });
});

describe('XML that asks for entity expansion', () => {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';

  it('refuses a DOCTYPE in a sheet, naming the part', async () => {
    const xml = `${laughs}<worksheet xmlns="${NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>`;
    const error = await rejection(readAll(book(xml), 'xlsx'));
    expect(error).toMatchObject({ code: 'forbidden_dtd', details: { part: SHEET } });
    expect(error.message).toBe(
      `${SHEET} contains a <!DOCTYPE> or <!ENTITY> declaration, which a workbook never needs; the file is refused.`,
    );
  });

  it('refuses an ENTITY declaration in the shared strings and a DOCTYPE in the workbook part', async () => {
    const sst = `<?xml version="1.0"?><!ENTITY x SYSTEM "file:///etc/passwd"><sst xmlns="${NS}"><si><t>a</t></si></sst>`;
    expect(await rejection(readAll(book(goodSheet, { sharedStrings: [], parts: { 'xl/sharedStrings.xml': sst } }), 'xlsx'))).toMatchObject({
      code: 'forbidden_dtd',
      details: { part: 'xl/sharedStrings.xml' },
    });
    const workbook = `${laughs}<workbook xmlns="${NS}"><sheets><sheet name="S" sheetId="1" r:id="rId1" xmlns:r="x"/></sheets></workbook>`;
    expect(await rejection(readAll(book(goodSheet, { parts: { 'xl/workbook.xml': workbook } }), 'xlsx'))).toMatchObject({
      code: 'forbidden_dtd',
      details: { part: 'xl/workbook.xml' },
    });
  });

  it('finds a declaration cut across two inflated pieces', async () => {
    const xml = `<worksheet xmlns="${NS}"><sheetData>${' '.repeat(64 * 1024 - 30)}<!DOCTYPE x></sheetData></worksheet>`;
    expect(await rejection(readAll(book(xml), 'xlsx'))).toMatchObject({ code: 'forbidden_dtd' });
  });
});

describe('damaged archives and parts', () => {
  it('fails a truncated zip', async () => {
    const bytes = book(goodSheet);
    const error = await rejection(readAll(bytes.subarray(0, Math.floor(bytes.length / 2)), 'xlsx'));
    expect(error).toMatchObject({ code: 'unreadable_file' });
    expect(error.message).toMatch(/^The workbook is damaged or truncated and cannot be read/);
  });

  it('fails an entry whose deflated data is garbage, or whose CRC does not match', async () => {
    const garbage = book(goodSheet, {
      tamper: (entry) => (entry.name === SHEET ? { ...entry, compressed: Buffer.from('not deflate data at all, really') } : entry),
    });
    expect(await rejection(readAll(garbage, 'xlsx'))).toMatchObject({ code: 'unreadable_file' });
    const badCrc = book(goodSheet, { tamper: (entry) => (entry.name === SHEET ? { ...entry, crc: 1234 } : entry) });
    const error = await rejection(readAll(badCrc, 'xlsx'));
    expect(error).toMatchObject({ code: 'unreadable_file' });
    expect(error.message).toContain('fails its CRC check');
  });

  it('fails a zip that is not a workbook, and a part that is not well-formed XML', async () => {
    const notBook = zipArchive([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'hello.txt', data: 'hi' },
    ]);
    expect(await rejection(readAll(notBook, 'xlsx'))).toMatchObject({
      code: 'unreadable_file',
      message: 'The file is not an XLSX workbook: it has no xl/workbook.xml.',
    });
    const broken = `<worksheet xmlns="${NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></sheetData></worksheet>`;
    const error = await rejection(readAll(book(broken), 'xlsx'));
    expect(error).toMatchObject({ code: 'invalid_xml', details: { part: SHEET } });
  });

  it('bounds a value or tag that never ends, naming the cell when it is a cell', async () => {
    const limits = { maxRecordChars: 100_000, maxCellChars: 1_000 };
    const endless = `<worksheet xmlns="${NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>${'x'.repeat(2 * MB)}`;
    const cell = await rejection(readAll(book(endless), 'xlsx', { limits }));
    expect(cell).toMatchObject({ code: 'cell_too_large', details: { row: 1, column: 2, maxCellChars: 1_000 } });
    expect(cell.message).toBe(
      'Row 1, column B: the cell is longer than 100000 characters, too long to be read; a cell may hold at most 1000 characters (MAX_CELL_KB).',
    );
    const tag = `<worksheet xmlns="${NS}"><sheetData><row r="1"><c r="A1" ${'x'.repeat(2 * MB)}`;
    expect(await rejection(readAll(book(tag), 'xlsx', { limits }))).toMatchObject({ code: 'xml_value_too_large' });
  });

  it('reads a sheet stored without compression and one written with a different prefix', async () => {
    const prefixed = `<x:worksheet xmlns:x="${NS}"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2"><x:v>7</x:v></x:c></x:row></x:sheetData></x:worksheet>`;
    const stored = book(prefixed, { tamper: (entry) => (entry.name === SHEET ? { ...entry, store: true } : entry) });
    expect((await readAll(stored, 'xlsx')).records).toEqual([{ row: 2, cells: [7] }]);
  });
});
