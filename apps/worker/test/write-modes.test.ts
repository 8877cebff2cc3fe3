import type { ImportView } from '@importer/db';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const csv = (rows: FixtureRow[]) => toCsv(COMPANY_HEADERS, rows);
const stored = async (n: number) => {
  const { rows } = await h.db.pool.query<Record<string, unknown>>(
    `SELECT nom, adresse, telephone, is_active, email_contact FROM companies WHERE siren = $1`,
    [sirenFor(n)],
  );
  return rows[0];
};
/** Every row ends as exactly one outcome. */
const expectExact = (result: ImportView) => {
  const { rows, created, updated, unchanged, skipped, failed } = result.totals;
  expect(created + updated + unchanged + skipped + failed).toBe(rows);
};

describe('write modes (docs/write-semantics.md)', () => {
  it('upsert: blank cells keep stored values; a blank is_active is true when created and unchanged when updated', async () => {
    const first = await h.importFile(
      csv([companyRow(101, { is_active: 'non' }), companyRow(102, { is_active: '', telephone: '' })]),
      'first.csv',
      { profile: 'companies' },
    );
    expect(first.totals).toMatchObject({ rows: 2, created: 2 });
    expect(await stored(102)).toMatchObject({ is_active: true, telephone: null });

    const second = await h.importFile(
      csv([
        companyRow(101, { nom: 'Nouveau nom', adresse: '', telephone: '', is_active: '' }),
        companyRow(102, { is_active: '', telephone: '' }),
        companyRow(103, { is_active: '' }),
      ]),
      'second.csv',
      { profile: 'companies' },
    );
    expect(second.totals).toEqual({ rows: 3, created: 1, updated: 1, unchanged: 1, skipped: 0, failed: 0, warnings: 0 });
    expectExact(second);
    expect(await stored(101)).toEqual({
      nom: 'Nouveau nom',
      adresse: companyRow(101).adresse,
      telephone: companyRow(101).telephone,
      is_active: false,
      email_contact: companyRow(101).email_contact,
    });
    expect(await stored(103)).toMatchObject({ is_active: true });
  });

  it('overwrite: blank cells clear stored values, but a blank is_active leaves it unchanged', async () => {
    await h.importFile(csv([companyRow(111, { is_active: 'non' })]), 'base.csv', { profile: 'companies' });
    const result = await h.importFile(csv([companyRow(111, { adresse: '', telephone: '', is_active: '' })]), 'overwrite.csv', {
      profile: 'companies',
      mode: 'overwrite',
    });
    expect(result.totals).toEqual({ rows: 1, created: 0, updated: 1, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
    expect(await stored(111)).toEqual({
      nom: companyRow(111).nom,
      adresse: null,
      telephone: null,
      is_active: false,
      email_contact: companyRow(111).email_contact,
    });
    const again = await h.importFile(csv([companyRow(111, { adresse: '', telephone: '', is_active: '' })]), 'overwrite.csv', {
      profile: 'companies',
      mode: 'overwrite',
    });
    expect(again.totals).toMatchObject({ rows: 1, updated: 0, unchanged: 1 });
  });

  it('insert_only: existing keys are skipped and left as they are, new keys are created', async () => {
    await h.importFile(csv([companyRow(121)]), 'base.csv', { profile: 'companies' });
    const result = await h.importFile(csv([companyRow(121, { nom: 'Ignoré' }), companyRow(122)]), 'insert-only.csv', {
      profile: 'companies',
      mode: 'insert_only',
    });
    expect(result.status).toBe('completed');
    expect(result.totals).toEqual({ rows: 2, created: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0, warnings: 0 });
    expect(await stored(121)).toMatchObject({ nom: companyRow(121).nom });
    expect(await stored(122)).toMatchObject({ nom: companyRow(122).nom });
  });

  it('ends every row as exactly one outcome when failed, duplicate, new and existing rows mix', async () => {
    await h.importFile(csv([companyRow(131), companyRow(132)]), 'base.csv', { profile: 'companies' });
    const result = await h.importFile(
      csv([
        companyRow(131), // unchanged
        companyRow(132, { nom: 'Changée' }), // updated
        companyRow(133, { email_contact: 'pas-un-email' }), // failed
        companyRow(134, { nom: 'Première' }), // skipped: row 6 has the same key
        companyRow(134), // created
      ]),
      'mixed.csv',
      { profile: 'companies' },
    );
    expect(result.totals).toEqual({ rows: 5, created: 1, updated: 1, unchanged: 1, skipped: 1, failed: 1, warnings: 1 });
    expectExact(result);
  });
});
