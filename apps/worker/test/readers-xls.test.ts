/**
 * Legacy XLS files through the API and the compiled worker (`npm run worker`): read with SheetJS in a
 * thread of the worker, its values stored exactly; a workbook over MAX_XLS_CELLS, or one that needs more
 * than XLS_MEMORY_MB to read, fails with a message naming the limit while the worker stays up and runs the
 * next import.
 */
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, toXls, xlsWithFormula, xlsWithNumberRows } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness();
});
afterAll(async () => {
  await h?.close();
});

/** One sheet of `cells` cells or a few more: a header row, then rows of 200 numbers. */
const xlsOfCells = (cells: number) =>
  xlsWithNumberRows(toXls([{ name: 'Feuil1', rows: [['siren', 'nom']] }]), 1, Math.ceil(cells / 200), 200);

async function importCompaniesCsv(offset: number) {
  const upload = await h.upload(toCsv(COMPANY_HEADERS, [companyRow(offset), companyRow(offset + 1)]), 'next.csv', { profile: 'companies' });
  return h.waitUntilFinished(upload.id);
}

it('imports an XLS with its exact values: text with leading zeros, numbers, booleans, dates and a formula’s cached value', async () => {
  await h.startWorker('xls');
  const [a, b] = [sirenFor(1), sirenFor(2)];
  const rows = [
    ['siren', 'nom', 'code_postal', 'is_active', 'date_creation'],
    [Number(a), 'Société A', '01000', true, { t: 'n', v: 40617, z: 'dd/mm/yyyy' }],
    [Number(b), 'Société B', 75001, false, { t: 'n', v: 45000.75, z: 'yyyy-mm-dd hh:mm' }],
  ];
  // Row 3's SIREN is a formula; the stored value is its cached result.
  const xls = xlsWithFormula(
    toXls([
      { name: 'Vide', rows: [[]] },
      { name: 'Entreprises', rows },
    ]),
    2,
    0,
  );
  const upload = await h.upload(xls, 'entreprises.xls', { profile: 'companies' });
  const result = await h.waitUntilFinished(upload.id);
  expect(result).toMatchObject({ status: 'completed', error: null, totals: { rows: 2, created: 2, failed: 0 } });
  expect(result.file).toMatchObject({ format: 'xls', sheet: 'Entreprises' });
  const { rows: stored } = await h.db.pool.query(
    `SELECT siren, nom, code_postal, is_active, date_creation::text AS date_creation FROM companies ORDER BY siren`,
  );
  expect(stored).toEqual([
    { siren: a, nom: 'Société A', code_postal: '01000', is_active: true, date_creation: '2011-03-15' },
    { siren: b, nom: 'Société B', code_postal: '75001', is_active: false, date_creation: '2023-03-15' },
  ]);
});

it('fails an XLS over MAX_XLS_CELLS or over XLS_MEMORY_MB, and the worker goes on with the next import', async () => {
  await h.stopWorkers();
  const worker = await h.startWorker('xls-limited', { MAX_XLS_CELLS: '100000', XLS_MEMORY_MB: '24' });

  const tooMany = await h.waitUntilFinished((await h.upload(xlsOfCells(100_200), 'many.xls', { profile: 'companies' })).id);
  expect(tooMany).toMatchObject({ status: 'failed', attempts: 1 });
  expect(tooMany.error).toEqual({
    code: 'too_many_cells',
    message:
      'The workbook holds 100,202 cells; at most 100,000 can be read from an XLS file (MAX_XLS_CELLS). ' +
      'Save it as XLSX or CSV, which have no such limit.',
  });

  // Under the cell limit, but SheetJS needs ≈ 500 bytes a cell: more than the thread's 24 MB.
  const tooBig = await h.waitUntilFinished((await h.upload(xlsOfCells(99_800), 'big.xls', { profile: 'companies' })).id);
  expect(tooBig).toMatchObject({ status: 'failed', attempts: 1 });
  expect(tooBig.error).toEqual({
    code: 'file_too_complex',
    message: 'Reading this workbook needs more than 24 MB of memory (XLS_MEMORY_MB). Save it as XLSX or CSV, which are read as a stream.',
  });

  expect(worker.isRunning()).toBe(true);
  expect(await importCompaniesCsv(500)).toMatchObject({ status: 'completed', totals: { rows: 2, created: 2 } });
  expect(worker.isRunning()).toBe(true);
});
