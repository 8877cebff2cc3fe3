import { COMPANY_HEADERS, companyRow, sirenFor, toCsv } from '@importer/testing';
import { startHarness, type Harness } from './harness';

// One chunk of 2,000 records, read and encoded 250 at a time: a repeat in a later read batch of the same
// chunk drops a row that was encoded already (the write statement leaves it out).
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ chunkSize: 2000 });
});
afterAll(async () => {
  await h.close();
});

describe('a key repeated within one chunk, in different read batches', () => {
  const file = toCsv(
    COMPANY_HEADERS,
    Array.from({ length: 1200 }, (_, i) => {
      if (i === 3) return companyRow(31000, { nom: 'Premier', telephone: '01 44 44 44 44' });
      if (i === 900) return companyRow(31000, { nom: 'Dernier', telephone: '' });
      if (i === 10) return companyRow(40, { nom: 'Changé' });
      if (i === 1100) return companyRow(40);
      return companyRow(50000 + i);
    }),
  );
  const expectedTotals = { rows: 1200, created: 1197, updated: 0, unchanged: 1, skipped: 2, failed: 0, warnings: 2 };
  const stored = async (n: number) =>
    (
      await h.db.pool.query<Record<string, unknown>>(`SELECT nom, telephone, is_active, updated_at FROM companies WHERE siren = $1`, [
        sirenFor(n),
      ])
    ).rows[0];

  /** Stores the existing key the file repeats (unchanged if an earlier test stored it already). */
  const storeExisting = () => h.importFile(toCsv(COMPANY_HEADERS, [companyRow(40)]), 'existing.csv', { profile: 'companies' });

  it('a dry run reports the last row of each key only', async () => {
    await storeExisting();
    const result = await h.importFile(file, 'dupes.csv', { profile: 'companies', dryRun: 'true' });
    expect(result.totals).toEqual(expectedTotals);
  });

  it('writes only the last row of each key: the earlier one is left out of the chunk and skipped', async () => {
    await storeExisting();
    const before = await stored(40);
    const result = await h.importFile(file, 'dupes.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.totals).toEqual(expectedTotals);
    const warnings = await h.errorsOf(result.id);
    expect(warnings.map(({ row, code }) => ({ row, code }))).toEqual([
      { row: 5, code: 'duplicate_key' },
      { row: 12, code: 'duplicate_key' },
    ]);
    expect(await stored(31000)).toMatchObject({ nom: 'Dernier', telephone: null, is_active: true });
    // The last row is what was stored: the earlier change never reached the table.
    expect(await stored(40)).toEqual(before);
  });
});
