/**
 * Fixing an import's rejected rows, as an operator does it, through the HTTP API and the compiled worker
 * (started as `npm run worker` starts it): the error groups say what is wrong, `errors.csv` gives the rows,
 * the corrected download goes back through `POST /imports/:id/resubmit`, and the original counts what its
 * re-submissions fixed.
 */
import Papa from 'papaparse';
import type { ErrorGroups, ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness({ importAttempts: 1, chunkSize: 50, fastHandover: false });
  await h.startWorker('resubmit');
});
afterAll(async () => {
  await h?.close();
});

const PHONE = '+33 1 23 45 67 89';
const badSiren = (n: number) => {
  const valid = sirenFor(n);
  return `${valid.slice(0, 8)}${(Number(valid[8]) + 1) % 10}`;
};

/**
 * 40 companies from `offset`: 6 with a SIREN failing its checksum (one of them with a phone number a
 * spreadsheet would take for a formula), 3 with a bad e-mail, 1 with a bad e-mail and a bad postal code:
 * 10 rejected rows, 11 row errors.
 */
function companies(offset: number): FixtureRow[] {
  return Array.from({ length: 40 }, (_, i) => {
    const n = offset + i + 1;
    if (i % 5 === 1 && i < 30) return companyRow(n, { siren: badSiren(n), siret: '', telephone: i === 1 ? PHONE : '01 02 03 04 05' });
    if (i === 32 || i === 34 || i === 36) return companyRow(n, { email_contact: `contact${n}-at-example.fr` });
    if (i === 38) return companyRow(n, { email_contact: 'nobody', code_postal: '750' });
    return companyRow(n);
  });
}

const parse = (text: string) => Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;

/** The download with `fix` applied to each rejected row's cells (by header); everything else as downloaded. */
function corrected(download: string, fix: (cells: Record<string, string>, index: number) => void): string {
  const [header = [], ...lines] = parse(download);
  const fixedLines = lines.map((line, index) => {
    const cells = Object.fromEntries(header.map((name, i) => [name, line[i] ?? '']));
    fix(cells, index);
    return header.map((name) => cells[name] ?? '');
  });
  return `\uFEFF${Papa.unparse([header, ...fixedLines], { newline: '\r\n' })}\r\n`;
}

/** The number of the company a row of `companies()` holds, from its (valid) e-mail's pattern or its name. */
const numberOf = (cells: Record<string, string>) => Number(/(\d+)$/.exec(cells.nom ?? '')?.[1]);

/** Every cell made valid again. */
function fixAll(cells: Record<string, string>): void {
  const n = numberOf(cells);
  const original = companyRow(n);
  cells.siren = sirenFor(n);
  cells.email_contact = String(original.email_contact);
  cells.code_postal = String(original.code_postal);
}

async function resubmit(parentId: string, content: string): Promise<ImportView> {
  const response = await h.http
    .post(`/api/v1/imports/${parentId}/resubmit`)
    .set(h.auth)
    .attach('file', Buffer.from(content), 'entreprises-rejected-rows.csv');
  if (response.status !== 202) throw new Error(`resubmit refused: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as ImportView;
}

const get = async (id: string) => (await h.http.get(`/api/v1/imports/${id}`).set(h.auth)).body as ImportView;

describe('re-submitting the failed rows', () => {
  it('groups the errors; a corrected download fixes every row, each once, the cells as the file held them', async () => {
    const parent = await h.importFile(toCsv(COMPANY_HEADERS, companies(0)), 'entreprises.csv', { profile: 'companies', mode: 'overwrite' });
    expect(parent).toMatchObject({ status: 'completed_with_errors', totals: { rows: 40, failed: 10 } });

    const groups = (await h.http.get(`/api/v1/imports/${parent.id}/error-groups`).set(h.auth)).body as ErrorGroups;
    expect(groups.items.map(({ column, code, count, rows }) => ({ column, code, count, rows }))).toEqual([
      { column: 'siren', code: 'invalid_siren', count: 6, rows: [3, 8, 13, 18, 23] },
      { column: 'email_contact', code: 'invalid_email', count: 4, rows: [34, 36, 38, 40] },
      { column: 'code_postal', code: 'invalid_postal_code', count: 1, rows: [40] },
    ]);
    expect(groups.items[1]?.values).toEqual(['contact33-at-example.fr', 'contact35-at-example.fr', 'contact37-at-example.fr', 'nobody']);

    // One line per rejected row, its errors joined: the row with two errors is there once.
    const download = await h.errorsCsv(parent.id);
    const lines = parse(download);
    expect(lines[0]).toEqual([...COMPANY_HEADERS, 'error_column', 'error_code', 'error_message']);
    expect(lines).toHaveLength(1 + 10);
    expect(lines.at(-1)?.slice(-3, -1)).toEqual(['code_postal; email_contact', 'invalid_postal_code; invalid_email']);
    // The phone number came back neutralised, as a spreadsheet must see it.
    expect(lines[1]?.[COMPANY_HEADERS.indexOf('telephone')]).toBe(`'${PHONE}`);

    const child = await resubmit(parent.id, corrected(download, fixAll));
    expect(child).toMatchObject({ parentId: parent.id, profile: 'companies', options: parent.options, status: 'queued' });
    const done = await h.waitUntilFinished(child.id);
    expect(done).toMatchObject({
      status: 'completed',
      totals: { rows: 10, created: 10, failed: 0, skipped: 0 },
      file: { unknownColumns: [] },
    });
    expect(await h.errorsOf(child.id)).toEqual([]);
    const stored = await h.db.pool.query<{ siren: string; telephone: string }>('SELECT siren, telephone FROM companies WHERE siren = $1', [
      sirenFor(2),
    ]);
    expect(stored.rows).toEqual([{ siren: sirenFor(2), telephone: PHONE }]);
    expect((await h.db.pool.query('SELECT count(*)::int AS n FROM companies')).rows[0]).toEqual({ n: 40 });

    expect((await get(parent.id)).resubmissions).toEqual([{ id: child.id, status: 'completed', fixed: 10, stillFailing: 0 }]);
  });

  it('a partly corrected download counts the rows it fixed and those still failing; its own download has one set of error columns', async () => {
    const parent = await h.importFile(toCsv(COMPANY_HEADERS, companies(100)), 'more.csv', { profile: 'companies' });
    expect(parent.totals.failed).toBe(10);
    // The first 4 rejected rows (bad SIRENs) are fixed; the other 6 are sent back as they were.
    const child = await resubmit(
      parent.id,
      corrected(await h.errorsCsv(parent.id), (cells, index) => {
        if (index < 4) fixAll(cells);
      }),
    );
    const done = await h.waitUntilFinished(child.id);
    expect(done).toMatchObject({ status: 'completed_with_errors', totals: { rows: 10, created: 4, failed: 6 } });
    expect((await get(parent.id)).resubmissions).toEqual([{ id: child.id, status: 'completed_with_errors', fixed: 4, stillFailing: 6 }]);

    const again = parse(await h.errorsCsv(child.id));
    expect(again[0]).toEqual([...COMPANY_HEADERS, 'error_column', 'error_code', 'error_message']);
    expect(again).toHaveLength(1 + 6);

    // A re-submission of the re-submission: the rest fixed.
    const last = await resubmit(child.id, corrected(await h.errorsCsv(child.id), fixAll));
    expect(await h.waitUntilFinished(last.id)).toMatchObject({ status: 'completed', totals: { rows: 6, failed: 0 } });
    expect(await get(child.id)).toMatchObject({ parentId: parent.id, resubmissions: [{ id: last.id, fixed: 6, stillFailing: 0 }] });
  });
});
