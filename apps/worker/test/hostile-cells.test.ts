/**
 * Cells that are data, however odd: a NUL character, an over-long cell, a cell a spreadsheet would run as a
 * formula. Each file goes through the API (supertest) and the compiled worker, started as `npm run worker`
 * starts it; what is checked is what users see: the import record, its row errors and `errors.csv`.
 */
import Papa from 'papaparse';
import { sheetXml, sirenFor, xlsxPackage } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';
import type { WorkerProcess } from './support/processes';

let h: FaultHarness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startFaultHarness({ importAttempts: 1 });
  worker = await h.startWorker('cells');
});
afterAll(async () => {
  await h?.close();
});

/** A UTF-8 CSV as Excel saves it ("CSV UTF-8": with a byte-order mark). */
const csvFile = (lines: string[]) => `\uFEFF${lines.join('\r\n')}\r\n`;

async function rowErrors(id: string) {
  const { rows } = await h.db.pool.query<{
    row: number;
    column: string | null;
    code: string;
    message: string;
    value: string | null;
    raw: string[] | null;
  }>(
    `SELECT "row", "column", code, message, value, raw FROM import_row_errors WHERE import_id = $1 AND level = 'error' ORDER BY "row", id`,
    [id],
  );
  return rows;
}

const storedNames = async () =>
  (await h.db.pool.query<{ siren: string; nom: string }>('SELECT siren, nom FROM companies ORDER BY siren')).rows;

const parseCsv = (text: string, delimiter: string) =>
  Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { delimiter, skipEmptyLines: true }).data;

describe('a NUL character', () => {
  beforeEach(async () => {
    await h.db.pool.query('TRUNCATE companies CASCADE');
  });

  it('in a CSV: a mapped cell rejects its row naming the column; in a header, an unmapped or a rejected cell it is kept as U+FFFD; every other row imports', async () => {
    const result = await h.importFile(
      csvFile([
        'siren,nom,code_postal,note\u0000',
        `${sirenFor(1)},Alpha,75001,`,
        `123,Bravo,75002,x\u0000y`,
        `${sirenFor(2)},Char\u0000lie,75003,`,
        `${sirenFor(3)},Delta,75004,fin\u0000`,
        `${sirenFor(4)},Echo,75005,`,
      ]),
      'nul.csv',
      { profile: 'companies' },
    );
    expect({ status: result.status, error: result.error }).toEqual({ status: 'completed_with_errors', error: null });
    expect(result.totals).toMatchObject({ rows: 5, created: 3, failed: 2 });
    expect(result.file.headers).toEqual(['siren', 'nom', 'code_postal', 'note\uFFFD']);
    expect(await storedNames()).toEqual([
      { siren: sirenFor(1), nom: 'Alpha' },
      { siren: sirenFor(3), nom: 'Delta' },
      { siren: sirenFor(4), nom: 'Echo' },
    ]);
    const errors = await rowErrors(result.id);
    expect(errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 3, column: 'siren', code: 'invalid_siren' },
      { row: 4, column: 'nom', code: 'invalid_character' },
    ]);
    expect(errors[0]?.raw).toEqual(['123', 'Bravo', '75002', 'x\uFFFDy']);
    expect(errors[1]).toMatchObject({ value: 'Char\uFFFDlie' });
    expect(errors[1]?.message).toMatch(/^nom: contains a NUL character/);

    const download = parseCsv(await h.errorsCsv(result.id), ',');
    expect(download[0]).toEqual(['siren', 'nom', 'code_postal', 'note\uFFFD', 'error_column', 'error_code', 'error_message']);
    expect(download.slice(1).map((line) => line.slice(0, 4))).toEqual([
      ['123', 'Bravo', '75002', 'x\uFFFDy'],
      [sirenFor(2), 'Char\uFFFDlie', '75003', ''],
    ]);
  });

  it('in an XLSX (`_x0000_` in shared and inline strings): the same', async () => {
    const strings = ['siren', 'nom', 'note', 'a_x0000_b', 'Fox_x0000_trot'];
    const shared = (index: number) => ({ t: 's', v: String(index) });
    const xml = sheetXml([
      [shared(0), shared(1), shared(2)],
      [sirenFor(11), 'Golf', shared(3)],
      ['123', 'Hotel', 'c_x0000_d'],
      [sirenFor(12), shared(4), null],
      [sirenFor(13), 'India_x0000_', null],
      [sirenFor(14), 'Juliett', null],
    ]);
    const result = await h.importFile(xlsxPackage({ sheets: [{ name: 'S', xml }], sharedStrings: strings }), 'nul.xlsx', {
      profile: 'companies',
    });
    expect({ status: result.status, error: result.error }).toEqual({ status: 'completed_with_errors', error: null });
    expect(result.totals).toMatchObject({ rows: 5, created: 2, failed: 3 });
    expect(await storedNames()).toEqual([
      { siren: sirenFor(11), nom: 'Golf' },
      { siren: sirenFor(14), nom: 'Juliett' },
    ]);
    const errors = await rowErrors(result.id);
    expect(errors.map(({ row, column, code, value }) => ({ row, column, code, value }))).toEqual([
      { row: 3, column: 'siren', code: 'invalid_siren', value: '123' },
      { row: 4, column: 'nom', code: 'invalid_character', value: 'Fox\uFFFDtrot' },
      { row: 5, column: 'nom', code: 'invalid_character', value: 'India\uFFFD' },
    ]);
    expect(errors[0]?.raw).toEqual(['123', 'Hotel', 'c\uFFFDd']);
  });
});

describe('an over-long cell', () => {
  const MAX_CELL_CHARS = 32 * 1024; // MAX_CELL_KB's default
  const BOUND = MAX_CELL_CHARS * 200; // MAX_CELL_KB × MAX_COLUMNS: the most one record may hold
  const neighbours = (big: string) => [
    'siren,nom,ville_nom',
    `${sirenFor(21)},Kilo,Paris`,
    `${sirenFor(22)},Lima,Lyon`,
    `${sirenFor(23)},${big},Nice`,
    `${sirenFor(24)},Mike,Metz`,
  ];

  it('in a CSV, longer than MAX_CELL_KB: rejects its row (`cell_too_large` on its column); its neighbours import', async () => {
    const result = await h.importFile(csvFile(neighbours(`"${'a,b '.repeat(MAX_CELL_CHARS / 2)}"`)), 'long.csv', { profile: 'companies' });
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toMatchObject({ rows: 4, failed: 1 });
    expect((await rowErrors(result.id)).map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 4, column: 'nom', code: 'cell_too_large' },
    ]);
  });

  it('in a CSV, a quoted 10 MiB cell full of commas: the file fails naming the row, the column and MAX_CELL_KB (not an unclosed quote)', async () => {
    const big = `"${'x,'.repeat(5 * 1024 * 1024)}"`;
    const result = await h.importFile(csvFile(neighbours(big)), 'huge-quoted.csv', { profile: 'companies' });
    expect({ status: result.status, code: result.error?.code }).toEqual({ status: 'failed', code: 'cell_too_large' });
    expect(result.error?.message).toMatch(/^Row 4, column 2 \(nom\): /);
    expect(result.error?.message).toContain('MAX_CELL_KB');
  });

  it('in a CSV, an unquoted cell longer than a record may be: the same', async () => {
    const result = await h.importFile(csvFile(neighbours('y'.repeat(BOUND + 200_000))), 'huge-plain.csv', { profile: 'companies' });
    expect({ status: result.status, code: result.error?.code }).toEqual({ status: 'failed', code: 'cell_too_large' });
    expect(result.error?.message).toMatch(/^Row 4, column 2 \(nom\): /);
  });

  it('in a CSV, a quote that is really never closed is still reported as such', async () => {
    const result = await h.importFile(csvFile(neighbours(`"${'z,'.repeat(BOUND / 2 + 10)}`)), 'unclosed.csv', { profile: 'companies' });
    expect({ status: result.status, code: result.error?.code }).toEqual({ status: 'failed', code: 'unterminated_quote' });
    expect(result.error?.message).toMatch(/^Row 4, column 2 \(nom\): /);
  });

  it('in an XLSX: rejects its row when longer than MAX_CELL_KB; fails the file naming the cell when longer than a record may be', async () => {
    const sheet = (big: string) =>
      xlsxPackage({
        sheets: [
          {
            name: 'S',
            xml: sheetXml([
              ['siren', 'nom'],
              [sirenFor(31), 'November'],
              [sirenFor(32), big],
              [sirenFor(33), 'Oscar'],
            ]),
          },
        ],
      });
    const long = await h.importFile(sheet('p'.repeat(MAX_CELL_CHARS + 1)), 'long.xlsx', { profile: 'companies' });
    expect(long.status).toBe('completed_with_errors');
    expect(long.totals).toMatchObject({ rows: 3, failed: 1 });
    expect((await rowErrors(long.id)).map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 3, column: 'nom', code: 'cell_too_large' },
    ]);

    const huge = await h.importFile(sheet('q'.repeat(BOUND + 10)), 'huge.xlsx', { profile: 'companies' });
    expect({ status: huge.status, code: huge.error?.code }).toEqual({ status: 'failed', code: 'cell_too_large' });
    expect(huge.error?.message).toMatch(/^Row 3, column B: /);
    expect(huge.error?.message).toContain('MAX_CELL_KB');

    const sharedXml = sheetXml([
      ['siren', 'nom'],
      [sirenFor(34), { t: 's', v: '0' }],
    ]);
    const shared = await h.importFile(
      xlsxPackage({ sheets: [{ name: 'S', xml: sharedXml }], sharedStrings: ['r'.repeat(BOUND + 10)] }),
      'huge-shared.xlsx',
      {
        profile: 'companies',
      },
    );
    expect({ status: shared.status, code: shared.error?.code }).toEqual({ status: 'failed', code: 'cell_too_large' });
    expect(shared.error?.message).toContain('MAX_CELL_KB');
  });
});

describe('what users are told', () => {
  it('an unexpected error fails the import as internal_error without the database message; the worker log has it, with the import id', async () => {
    await h.db.pool.query(`ALTER TABLE import_row_errors ADD CONSTRAINT test_refuse_siren CHECK (code <> 'invalid_siren') NOT VALID`);
    try {
      const result = await h.importFile(csvFile(['siren,nom', `${sirenFor(41)},Papa`, '123,Quebec']), 'refused.csv', {
        profile: 'companies',
      });
      expect({ status: result.status, code: result.error?.code }).toEqual({ status: 'failed', code: 'internal_error' });
      expect(result.error?.message).not.toMatch(/constraint|import_row_errors|test_refuse_siren|violates/);
      const logged = await worker.waitForLog((line) => line.importId === result.id && line.level >= 50, 'the failure logged');
      expect(JSON.stringify(logged)).toContain('test_refuse_siren');
    } finally {
      await h.db.pool.query('ALTER TABLE import_row_errors DROP CONSTRAINT test_refuse_siren');
    }
  });

  it('a damaged workbook is reported in the product’s words: no library message, no server path; the log has the detail', async () => {
    const xml = sheetXml([
      ['siren', 'nom'],
      [sirenFor(51), 'Romeo'],
    ]);
    const bytes = xlsxPackage({
      sheets: [{ name: 'S', xml }],
      tamper: (entry) =>
        entry.name === 'xl/worksheets/sheet1.xml' ? { ...entry, compressed: Buffer.from('this is not deflate data') } : entry,
    });
    const result = await h.importFile(bytes, 'damaged.xlsx', { profile: 'companies' });
    expect({ status: result.status, code: result.error?.code }).toEqual({ status: 'failed', code: 'unreadable_file' });
    expect(result.error?.message).toBe(
      'The workbook is damaged or truncated and cannot be read (xl/worksheets/sheet1.xml cannot be inflated).',
    );
    expect(result.error?.message).not.toContain(h.storageDir);
    const logged = await worker.waitForLog(
      (line) => line.importId === result.id && line.msg === 'import failed: bad file',
      'the bad file logged',
    );
    expect(JSON.stringify(logged)).toMatch(/invalid/);
  });
});

describe('errors.csv', () => {
  it('has no cell that a spreadsheet would read as a formula, whichever of , ; tab it splits on', async () => {
    const payloads = ["x,=cmd|' /C calc'!A0,y", 'a;+1+1;b', 'p\t-2+3', 'plain @SUM(A1)', '=direct'];
    const lines = ['siren;nom;note', ...payloads.map((payload, i) => `12${i};Nom ${i};"${payload}"`)];
    const result = await h.importFile(csvFile(lines), 'formulas.csv', { profile: 'companies' });
    expect(result.totals).toMatchObject({ rows: payloads.length, failed: payloads.length });
    const text = await h.errorsCsv(result.id);
    // Read back in the file's dialect, each note is the payload with a `'` before every piece that would
    // start a formula.
    expect(
      parseCsv(text, ';')
        .slice(1)
        .map((row) => row[2]),
    ).toEqual(["x,'=cmd|' /C calc'!A0,y", "a;'+1+1;b", "p\t'-2+3", 'plain @SUM(A1)', "'=direct"]);
    // A spreadsheet splitting a line on another delimiter sees the raw text between those delimiters (a
    // quote opening a piece does not protect it): no such piece may start a formula.
    for (const line of text.replace(/^\uFEFF/, '').split('\r\n')) {
      for (const delimiter of [',', ';', '\t']) {
        for (const piece of line.split(delimiter)) {
          expect({ delimiter, piece, formula: /^"*[=+\-@]/.test(piece) }).toEqual({ delimiter, piece, formula: false });
        }
      }
    }
  });
});
