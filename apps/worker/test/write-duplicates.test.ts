import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { startHarness, type Harness } from './harness';

// Chunks of 500 records: rows 2–501, 502–1001 and 1002–1201 of a 1,200-record file.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ chunkSize: 500 });
});
afterAll(async () => {
  await h.close();
});

/** A 1,200-record file of new companies (`base` + index), with `placed` rows at the given indexes (row = index + 2). */
function fileWith(placed: Record<number, FixtureRow>, base = 6000): string {
  return toCsv(
    COMPANY_HEADERS,
    Array.from({ length: 1200 }, (_, i) => placed[i] ?? companyRow(base + i)),
  );
}

const companies = async (numbers: number[]) => {
  const { rows } = await h.db.pool.query<{ siren: string } & Record<string, unknown>>(
    `SELECT siren, nom, adresse, telephone, is_active, updated_at FROM companies WHERE siren = ANY($1) ORDER BY siren`,
    [numbers.map(sirenFor)],
  );
  return Object.fromEntries(rows.map((row) => [row.siren, row])) as Record<string, Record<string, unknown>>;
};
/** The write journal left (emptied at the end), and the lineage kept (one row per key the import created or updated). */
const journal = async (importId: string) => {
  const { rows } = await h.db.pool.query<{ chunks: number; lineage: number }>(
    `SELECT (SELECT count(*) FROM import_chunks)::int AS chunks,
       (SELECT count(*) FROM import_lineage_companies WHERE import_id = $1)::int AS lineage`,
    [importId],
  );
  return rows[0];
};

describe('a key repeated anywhere in a file', () => {
  // K1 new, twice (chunks 1 and 3); K2 existing, changed then blank-celled (1, 3); K3 existing, unchanged then
  // changed (1, 2); K4 existing, changed then back as stored (1, 3); K5 new, three times (1, 2, 3).
  const existing = [companyRow(10), companyRow(11), companyRow(12)];
  const file = fileWith({
    10: companyRow(5000, { nom: 'K1 premier', telephone: '01 11 11 11 11', is_active: 'non' }),
    20: companyRow(10, { nom: 'K2 premier', telephone: '09 99 99 99 99' }),
    30: companyRow(11),
    40: companyRow(12, { nom: 'K4 premier' }),
    50: companyRow(5001, { nom: 'K5 un' }),
    600: companyRow(11, { nom: 'K3 second' }),
    610: companyRow(5001, { nom: 'K5 deux' }),
    1100: companyRow(5000, { nom: 'K1 second', telephone: '', is_active: '' }),
    1110: companyRow(10, { nom: 'K2 second', telephone: '' }),
    1120: companyRow(12),
    1130: companyRow(5001, { nom: 'K5 trois', adresse: '' }),
  });
  const expectedTotals = { rows: 1200, created: 1191, updated: 2, unchanged: 1, skipped: 6, failed: 0, warnings: 6 };
  /** Stores K2, K3 and K4 as the file expects them (unchanged if an earlier test stored them already). */
  const storeExisting = () => h.importFile(toCsv(COMPANY_HEADERS, existing), 'existing.csv', { profile: 'companies' });

  it('a dry run reports what the import would do across chunks, writing nothing to the table', async () => {
    await storeExisting();
    const { rows: before } = await h.db.pool.query('SELECT * FROM companies ORDER BY id');
    const result = await h.importFile(file, 'dupes.csv', { profile: 'companies', dryRun: 'true' });
    expect(result.status).toBe('completed');
    expect(result.totals).toEqual(expectedTotals);
    const { rows: after } = await h.db.pool.query('SELECT * FROM companies ORDER BY id');
    expect(after).toEqual(before);
    expect(await journal(result.id)).toEqual({ chunks: 0, lineage: 0 });
  });

  it('keeps only the last row of each key, counted against the table as it was before the import', async () => {
    await storeExisting();
    const before = await companies([12]);
    const result = await h.importFile(file, 'dupes.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.totals).toEqual(expectedTotals);

    const errors = await h.errorsOf(result.id);
    expect(errors.map(({ row, level, code }) => ({ row, level, code }))).toEqual(
      [12, 22, 32, 42, 52, 612].map((row) => ({ row, level: 'warning', code: 'duplicate_key' })),
    );
    expect(errors[0]?.message).toBe(
      "row 1102 repeats this row's key later in the file; the last row with a key wins, so this row is skipped",
    );

    const stored = await companies([5000, 10, 11, 12, 5001]);
    // K1: created by its last row alone: its blank cells are blank, its blank is_active true.
    expect(stored[sirenFor(5000)]).toMatchObject({ nom: 'K1 second', telephone: null, is_active: true });
    // K2: the last row updates the company as it was: its blank telephone keeps the stored one, not row 22's.
    expect(stored[sirenFor(10)]).toMatchObject({ nom: 'K2 second', telephone: companyRow(10).telephone });
    expect(stored[sirenFor(11)]).toMatchObject({ nom: 'K3 second' });
    // K4: the last row is what was stored: row 42's change is undone, updated_at included.
    expect(stored[sirenFor(12)]).toEqual(before[sirenFor(12)]);
    expect(stored[sirenFor(5001)]).toMatchObject({ nom: 'K5 trois', adresse: null });
    // Every key written, K4 included (changed by row 42, then given back its stored row).
    expect(await journal(result.id)).toEqual({ chunks: 0, lineage: 1191 + 3 });
  });

  it('in insert_only mode, skips both rows of an existing key and creates a new key from its last row', async () => {
    await h.importFile(toCsv(COMPANY_HEADERS, [companyRow(20)]), 'existing.csv', { profile: 'companies' });
    const result = await h.importFile(
      fileWith(
        {
          5: companyRow(20, { nom: 'Ignoré 1' }),
          700: companyRow(20, { nom: 'Ignoré 2' }),
          6: companyRow(12000, { nom: 'Premier', telephone: '01 22 22 22 22' }),
          1150: companyRow(12000, { nom: 'Dernier', telephone: '' }),
        },
        10000,
      ),
      'insert-only.csv',
      { profile: 'companies', mode: 'insert_only' },
    );
    expect(result.totals).toEqual({ rows: 1200, created: 1197, updated: 0, unchanged: 0, skipped: 3, failed: 0, warnings: 2 });
    const stored = await companies([20, 12000]);
    expect(stored[sirenFor(20)]).toMatchObject({ nom: companyRow(20).nom });
    expect(stored[sirenFor(12000)]).toMatchObject({ nom: 'Dernier', telephone: null });
  });

  it('undoes a row that an earlier chunk copied in, when a later row repeats its key', async () => {
    // Only new keys: the first chunks are written with COPY (see ChunkWriter); row 1002 supersedes row 7.
    const result = await h.importFile(
      fileWith(
        {
          5: companyRow(15000, { nom: 'Copiée', telephone: '01 33 33 33 33' }),
          1000: companyRow(15000, { nom: 'Dernière', telephone: '' }),
        },
        16000,
      ),
      'copied.csv',
      { profile: 'companies' },
    );
    expect(result.totals).toEqual({ rows: 1200, created: 1199, updated: 0, unchanged: 0, skipped: 1, failed: 0, warnings: 1 });
    expect((await companies([15000]))[sirenFor(15000)]).toMatchObject({ nom: 'Dernière', telephone: null, is_active: true });
    expect(await journal(result.id)).toEqual({ chunks: 0, lineage: 1199 });
  });

  it('ignores failed rows: a later row with the same key but a bad cell does not hide the earlier one', async () => {
    const result = await h.importFile(
      fileWith({ 3: companyRow(14500, { nom: 'Gardé' }), 900: companyRow(14500, { email_contact: 'pas-un-email' }) }, 13000),
      'failed-later.csv',
      { profile: 'companies' },
    );
    expect(result.totals).toEqual({ rows: 1200, created: 1199, updated: 0, unchanged: 0, skipped: 0, failed: 1, warnings: 0 });
    expect((await companies([14500]))[sirenFor(14500)]).toMatchObject({ nom: 'Gardé' });
  });
});
