import iconv from 'iconv-lite';
import { COMPANY_HEADERS, companyRow, sheetXml, sirenFor, toCsv, xlsxPackage } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

/** The worker users run: the compiled bundle, started as `npm run worker` starts it. */
let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness({ fastHandover: false });
  await h.startWorker('readers');
});
afterAll(async () => {
  await h?.close();
});

/** The columns of a stored company these tests look at. */
interface StoredCompany {
  nom: string;
  adresse: string | null;
  code_postal: string | null;
  is_active: boolean;
  date_creation: string | null;
}

const stored = async (siren: string) =>
  (
    await h.db.pool.query<StoredCompany>(
      `SELECT nom, adresse, code_postal, is_active, to_char(date_creation, 'YYYY-MM-DD') AS date_creation FROM companies WHERE siren = $1`,
      [siren],
    )
  ).rows[0];

describe('CSV dialects end to end', () => {
  it('imports what Excel writes on a French Windows (sep=; line, Windows-1252, CRLF) and records the dialect', async () => {
    const rows = [companyRow(101, { nom: 'Œuvres & Cœurs', adresse: '12 € la place' }), companyRow(102), companyRow(103)];
    const text = `sep=;\r\n${toCsv(COMPANY_HEADERS, rows, { delimiter: ';', newline: '\r\n' })}\r\n;;;;;;;;;;;;\r\n\r\n`;
    const result = await h.importFile(iconv.encode(text, 'windows-1252'), 'export excel.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({
      format: 'csv',
      encoding: 'windows-1252',
      delimiter: ';',
      sheet: null,
      headers: [...COMPANY_HEADERS],
    });
    expect(result.totals).toMatchObject({ rows: 3, created: 3, failed: 0 });
    expect(await stored(sirenFor(101))).toMatchObject({ nom: 'Œuvres & Cœurs', adresse: '12 € la place' });
  });

  it.each([
    ['utf-16le', [0xff, 0xfe], 111],
    ['utf-16be', [0xfe, 0xff], 112],
  ] as const)('imports %s with a byte-order mark (Excel "Unicode text"), tab-separated, and records it', async (encoding, bom, n) => {
    const text = toCsv(COMPANY_HEADERS, [companyRow(n, { nom: 'Société Générale d’Ébénisterie' })], { delimiter: '\t' });
    const bytes = Buffer.concat([Buffer.from(bom), iconv.encode(text, encoding)]);
    const result = await h.importFile(bytes, 'export.txt', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({ encoding, delimiter: '\t' });
    expect((await stored(sirenFor(n)))?.nom).toBe('Société Générale d’Ébénisterie');
  });

  it.each([
    ['UTF-8 with a byte-order mark, comma-separated, LF', 'export.csv', [0xef, 0xbb, 0xbf], ',', '\n', 113],
    ['UTF-8 without a byte-order mark, a .tsv, CRLF', 'export.tsv', [], '\t', '\r\n', 114],
  ] as const)('imports %s and records it', async (_, name, bom, delimiter, newline, n) => {
    const rows = [companyRow(n, { nom: 'Crème brûlée & Cie', adresse: 'Quai "Ouest"\nBâtiment B' }), companyRow(n + 100)];
    const bytes = Buffer.concat([Buffer.from(bom), Buffer.from(toCsv(COMPANY_HEADERS, rows, { delimiter, newline }))]);
    const result = await h.importFile(bytes, name, { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({ format: 'csv', encoding: 'utf-8', delimiter, headers: [...COMPANY_HEADERS] });
    expect(result.totals).toMatchObject({ rows: 2, created: 2, failed: 0 });
    expect(await stored(sirenFor(n))).toMatchObject({ nom: 'Crème brûlée & Cie', adresse: 'Quai "Ouest"\nBâtiment B' });
    expect((await stored(sirenFor(n + 100)))?.nom).toBe(`Société ${n + 100}`);
  });

  it('reports row numbers past quoted newlines and ignores trailing empty rows and columns', async () => {
    const rows = [companyRow(121, { adresse: 'Bâtiment A\nEscalier 2' }), companyRow(122, { siren: '111111111' })];
    // Two empty trailing columns on every line, then a line of empty cells and blank lines.
    const text = `${toCsv([...COMPANY_HEADERS, '', ''], rows, { delimiter: '|' })}\n||||\n\n\n`;
    const result = await h.importFile(text, 'pipes.csv', { profile: 'companies' });
    expect(result.file).toMatchObject({ delimiter: '|', headers: [...COMPANY_HEADERS] });
    expect(result.totals).toMatchObject({ rows: 2, created: 1, failed: 1 });
    expect(await h.errorsOf(result.id)).toEqual([expect.objectContaining({ row: 3, column: 'siren', code: 'invalid_siren' })]);
    expect((await stored(sirenFor(121)))?.adresse).toBe('Bâtiment A\nEscalier 2');
  });

  it('fails duplicate headers, also after normalisation, with a message naming both', async () => {
    const result = await h.importFile('siren,Nom,ville,name\n732829320,A,Paris,B\n', 'dupes.csv', { profile: 'companies' });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      code: 'duplicate_header',
      message:
        'Columns B ("Nom") and D ("name") both name the column "nom"; each column needs its own header, so rename or remove one of them.',
    });
  });

  it('fails an unterminated quote, naming its row', async () => {
    const text = toCsv(COMPANY_HEADERS, [companyRow(131), companyRow(132)]) + `\n${sirenFor(133)},,"Jamais fermé,rue X\n`;
    const result = await h.importFile(text, 'quote.csv', { profile: 'companies' });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('unterminated_quote');
    expect(result.error?.message).toBe('Row 4: a quoted field is never closed (a closing " is missing).');
  });

  it('imports __proto__ and constructor headers as ordinary unknown columns', async () => {
    const text = `siren,nom,__proto__,constructor\n${sirenFor(141)},Proto,"{""isAdmin"":true}",x\n`;
    const result = await h.importFile(text, 'proto.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({
      headers: ['siren', 'nom', '__proto__', 'constructor'],
      unknownColumns: ['__proto__', 'constructor'],
    });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect((await stored(sirenFor(141)))?.nom).toBe('Proto');
  });
});

describe('XLSX end to end', () => {
  const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const styles =
    `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>` +
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>';
  const book = xlsxPackage({
    sheets: [
      { name: 'Notes', xml: sheetXml([]) },
      {
        name: 'Entreprises',
        xml: sheetXml([
          ['SIREN', 'Raison sociale', 'CP', 'Actif', 'date_creation'],
          [Number(sirenFor(151)), { t: 's', v: '0' }, 1000, { t: 'b', f: 'TRUE()', v: '1' }, { s: 1, v: '40617' }],
          [sirenFor(152), { t: 'str', f: 'UPPER("garage")', v: 'GARAGE' }, '06000', false, '01/07/2019'],
        ]),
      },
    ],
    sharedStrings: ['Boulangerie Martin'],
    stylesXml: styles,
  });

  it('reads the first sheet with values: numeric postal codes padded, formulas cached, dates as dates', async () => {
    const result = await h.importFile(book, 'entreprises.xlsx', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null, sheet: 'Entreprises' });
    expect(result.totals).toMatchObject({ rows: 2, created: 2, failed: 0 });
    expect(await stored(sirenFor(151))).toEqual({
      nom: 'Boulangerie Martin',
      adresse: null,
      code_postal: '01000',
      is_active: true,
      date_creation: '2011-03-15',
    });
    expect(await stored(sirenFor(152))).toEqual({
      nom: 'GARAGE',
      adresse: null,
      code_postal: '06000',
      is_active: false,
      date_creation: '2019-07-01',
    });
  });

  it('fails an unknown sheet option, listing the sheets', async () => {
    const result = await h.importFile(book, 'entreprises.xlsx', { profile: 'companies', sheet: 'Clients' });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      code: 'unknown_sheet',
      message: 'The workbook has no sheet "Clients"; its sheets are "Notes", "Entreprises".',
    });
  });
});
