import { COMPANY_HEADERS, companyRow, sheetXml, toCsv, toXlsx, xlsxPackage } from '@importer/testing';
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

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const SHEET = 'xl/worksheets/sheet1.xml';
const companies = sheetXml([
  ['siren', 'nom'],
  [companyRow(1).siren as string, 'Acme'],
]);

/** Hostile workbooks, each a few kilobytes, each looking like an XLSX to the upload's content sniffing. */
const hostile: [string, Buffer, string, RegExp][] = [
  [
    'a zip bomb (20 MB of XML declaring 1,000 bytes)',
    xlsxPackage({
      sheets: [{ name: 'S', xml: `<worksheet xmlns="${NS}"><sheetData>${' '.repeat(20 * 1024 * 1024)}</sheetData></worksheet>` }],
      tamper: (entry) => (entry.name === SHEET ? { ...entry, declaredSize: 1000 } : entry),
    }),
    'inflated_too_large',
    /declares 1000 bytes once inflated but inflates to more: the file is a zip bomb or damaged/,
  ],
  [
    'a DOCTYPE with entities (billion laughs)',
    xlsxPackage({
      sheets: [
        {
          name: 'S',
          xml:
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
            `<worksheet xmlns="${NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>`,
        },
      ],
    }),
    'forbidden_dtd',
    /xl\/worksheets\/sheet1.xml contains a <!DOCTYPE> or <!ENTITY> declaration/,
  ],
  [
    'a truncated zip',
    (() => {
      const bytes = xlsxPackage({ sheets: [{ name: 'S', xml: companies }] });
      return bytes.subarray(0, bytes.length - 200);
    })(),
    'unreadable_file',
    /^The workbook is damaged or truncated and cannot be read/,
  ],
  [
    'a malformed zip entry (garbage instead of deflated data)',
    xlsxPackage({
      sheets: [{ name: 'S', xml: companies }],
      tamper: (entry) => (entry.name === SHEET ? { ...entry, compressed: Buffer.from('this is not deflate data') } : entry),
    }),
    'unreadable_file',
    /xl\/worksheets\/sheet1.xml cannot be inflated\)\.$/,
  ],
];

describe('hostile files', () => {
  it('fail with a clear code and message, without retries, and never wedge the worker: the next import succeeds', async () => {
    for (const [what, bytes, code, message] of hostile) {
      const result = await h.importFile(bytes, 'hostile.xlsx', { profile: 'companies' });
      expect({ what, status: result.status, code: result.error?.code, attempts: result.attempts }).toEqual({
        what,
        status: 'failed',
        code,
        attempts: 1,
      });
      expect(result.error?.message).toMatch(message);
      expect(result.totals.rows).toBe(0);
    }

    // A sheet claiming to span A1:XFD1048576 is read for what it holds: <dimension> is ignored.
    const claimed = sheetXml(
      [
        ['siren', 'nom'],
        [companyRow(2).siren as string, 'Bêta'],
      ],
      { dimension: 'A1:XFD1048576' },
    );
    const dimension = await h.importFile(xlsxPackage({ sheets: [{ name: 'S', xml: claimed }] }), 'dimension.xlsx', {
      profile: 'companies',
    });
    expect(dimension.status).toBe('completed');
    expect(dimension.totals).toMatchObject({ rows: 1, created: 1 });

    // The same worker goes on importing ordinary files.
    const csv = await h.importFile(toCsv(COMPANY_HEADERS, [companyRow(3), companyRow(4)]), 'after.csv', { profile: 'companies' });
    expect(csv.status).toBe('completed');
    expect(csv.totals).toMatchObject({ rows: 2, created: 2, failed: 0 });
    const xlsx = await h.importFile(toXlsx(COMPANY_HEADERS, [companyRow(5)]), 'after.xlsx', { profile: 'companies' });
    expect(xlsx.status).toBe('completed');
    expect(xlsx.totals).toMatchObject({ rows: 1, created: 1 });
    const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM companies');
    expect(rows[0]?.n).toBe(4);
  });
});
