import type { ErrorBody } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, sheetXml, toCsv, xlsxPackage } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

/**
 * The limits of docs/api.md ("Limits"), set small through the environment of the worker users run (the
 * compiled bundle, started as `npm run worker` starts it); the upload limit is the API's.
 */
let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness({
    fastHandover: false,
    maxFileBytes: 64 * 1024,
    workerEnv: { MAX_ROWS: '5', MAX_COLUMNS: '20', MAX_CELL_KB: String(100 / 1024), MAX_STORED_ERRORS: '3' },
  });
  await h.startWorker('limits');
});
afterAll(async () => {
  await h?.close();
});

describe('import limits', () => {
  it('refuses an upload over the file size limit with 413', async () => {
    const response = await h.http
      .post('/api/v1/imports')
      .set(h.auth)
      .field('profile', 'companies')
      .attach('file', Buffer.alloc(65 * 1024, 'a'), 'big.csv');
    expect(response.status).toBe(413);
    expect((response.body as ErrorBody).error).toMatchObject({ code: 'file_too_large' });
  });

  it('fails a file with more rows than MAX_ROWS', async () => {
    const result = await h.importFile(
      toCsv(
        COMPANY_HEADERS,
        Array.from({ length: 6 }, (_, n) => companyRow(200 + n)),
      ),
      'rows.csv',
      { profile: 'companies' },
    );
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'too_many_rows', message: 'The file has more than 5 rows, the most one import may hold.' });
  });

  it('fails a CSV or an XLSX with more columns than MAX_COLUMNS', async () => {
    const headers = [...COMPANY_HEADERS, ...Array.from({ length: 8 }, (_, n) => `extra_${n}`)];
    const csv = await h.importFile(toCsv(headers, [companyRow(210)]), 'wide.csv', { profile: 'companies' });
    expect(csv.status).toBe('failed');
    expect(csv.error).toEqual({
      code: 'too_many_columns',
      message: 'Row 1 has a value in column 21; at most 20 columns are allowed (MAX_COLUMNS).',
    });
    const row = COMPANY_HEADERS.map((name) => String(companyRow(211)[name]));
    const xml = sheetXml([[...COMPANY_HEADERS], [...row, ...Array.from({ length: 7 }, () => null), 'stray']]);
    const xlsx = await h.importFile(xlsxPackage({ sheets: [{ name: 'S', xml }] }), 'wide.xlsx', { profile: 'companies' });
    expect(xlsx.error).toEqual({
      code: 'too_many_columns',
      message: 'Row 2 has a value in column U (column 21); at most 20 columns are allowed (MAX_COLUMNS).',
    });
  });

  it('fails a cell larger than MAX_CELL_KB as a row error, and writes the other rows', async () => {
    const rows = [companyRow(220, { adresse: 'x'.repeat(101) }), companyRow(221)];
    const result = await h.importFile(toCsv(COMPANY_HEADERS, rows), 'cell.csv', { profile: 'companies' });
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toMatchObject({ rows: 2, created: 1, failed: 1 });
    expect(await h.errorsOf(result.id)).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'adresse',
        code: 'cell_too_large',
        message: 'adresse: is 101 characters long; at most 100 are allowed (MAX_CELL_KB)',
      }),
    ]);
  });

  it('stores at most MAX_STORED_ERRORS row errors and counts the rest', async () => {
    const rows = Array.from({ length: 5 }, (_, n) => companyRow(230 + n, { siren: '123456789', email_contact: 'nope' }));
    const result = await h.importFile(toCsv(COMPANY_HEADERS, rows), 'errors.csv', { profile: 'companies' });
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toMatchObject({ rows: 5, created: 0, failed: 5 });
    const errors = await h.errorsOf(result.id);
    expect(errors.map(({ row, column }) => [row, column])).toEqual([
      [2, 'siren'],
      [2, 'email_contact'],
      [3, 'siren'],
    ]);
  });
});
