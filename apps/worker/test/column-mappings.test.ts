import type { SavedMapping } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv, toXlsx, type FixtureRow } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

/**
 * Column mappings (docs/profiles.md, "Column mappings") on the worker users run: the compiled bundle, started
 * as `npm run worker` starts it. A file whose headers the aliases do not match fails without a mapping,
 * imports with the upload's, then, once the mapping is saved, imports by itself.
 */
let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness({ fastHandover: false });
  await h.startWorker('mappings');
});
afterAll(async () => {
  await h?.close();
});

const HEADERS = ['Numéro SIREN', 'Raison soc.', 'Ville', 'Remarque'];
const MAPPING = { 'Numéro SIREN': 'siren', 'Raison soc.': 'nom' };
const rowsOf = (from: number, count: number): FixtureRow[] =>
  Array.from({ length: count }, (_, n) => {
    const row = companyRow(from + n);
    return { 'Numéro SIREN': row.siren ?? null, 'Raison soc.': row.nom ?? null, Ville: row.ville_nom ?? null, Remarque: 'à voir' };
  });

const storedNames = async (sirens: readonly unknown[]) => {
  const { rows } = await h.db.pool.query<{ siren: string; nom: string; ville_nom: string | null }>(
    'SELECT "siren", "nom", "ville_nom" FROM "companies" WHERE "siren" = ANY($1::text[]) ORDER BY "siren"',
    [sirens.map(String)],
  );
  return rows;
};

describe('column mappings on the compiled worker', () => {
  it('fails a file whose required columns no alias matches, naming them, when no mapping is given or saved', async () => {
    const failed = await h.importFile(toCsv(HEADERS, rowsOf(100, 2)), 'societes.csv', { profile: 'companies' });
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('missing_columns');
    expect(failed.error?.message).toMatch(/^Missing required columns siren, nom for profile "companies"/);
    expect(failed.totals.rows).toBe(0);
  });

  it("imports it with the upload's mapping: mappingSource request, unmapped headers listed as unknown", async () => {
    const rows = rowsOf(110, 3);
    const done = await h.importFile(toCsv(HEADERS, rows), 'societes.csv', { profile: 'companies', mapping: JSON.stringify(MAPPING) });
    expect(done).toMatchObject({ status: 'completed', totals: { rows: 3, created: 3, failed: 0 } });
    expect(done.file).toMatchObject({ mappingSource: 'request', unknownColumns: ['Remarque'], headers: HEADERS });
    expect(done.options.mapping).toEqual(MAPPING);
    const sirens = rows.map((row) => row['Numéro SIREN']);
    expect(await storedNames(sirens)).toEqual(
      rows
        .map((row) => ({ siren: row['Numéro SIREN'], nom: row['Raison soc.'], ville_nom: row.Ville }))
        .sort((a, b) => String(a.siren).localeCompare(String(b.siren))),
    );
  });

  it('fails an upload whose mapping names a header the file does not have: mapped_header_not_found', async () => {
    const failed = await h.importFile(toCsv(HEADERS, rowsOf(120, 1)), 'societes.csv', {
      profile: 'companies',
      mapping: JSON.stringify({ ...MAPPING, 'Code APE': 'naf_code' }),
    });
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      code: 'mapped_header_not_found',
      message:
        'The mapping names a header "Code APE" that the file does not have; its headers are "Numéro SIREN", "Raison soc.", "Ville", "Remarque".',
    });
  });

  it('imports the next file with the same headers by itself once the mapping is saved: mappingSource saved', async () => {
    const response = await h.http.post('/api/v1/mappings').set(h.auth).send({ profile: 'companies', headers: HEADERS, mapping: MAPPING });
    expect(response.status).toBe(201);
    expect((response.body as SavedMapping).headerSet).toEqual(['numero_siren', 'raison_soc.', 'remarque', 'ville']);

    // The same header set: other order, case and accents, and an XLSX this time.
    const reordered = ['VILLE', 'remarque', 'RAISON SOC.', 'numero siren'];
    const rows = rowsOf(130, 2).map((row) => ({
      VILLE: row.Ville ?? null,
      remarque: row.Remarque ?? null,
      'RAISON SOC.': row['Raison soc.'] ?? null,
      'numero siren': row['Numéro SIREN'] ?? null,
    }));
    const done = await h.importFile(toXlsx(reordered, rows), 'societes.xlsx', { profile: 'companies' });
    expect(done).toMatchObject({ status: 'completed', totals: { rows: 2, created: 2 } });
    expect(done.file.mappingSource).toBe('saved');
    expect(done.options.mapping).toBeUndefined();
    expect((await storedNames(rows.map((row) => row['numero siren']))).map((row) => row.nom)).toEqual(
      rows.map((row) => row['RAISON SOC.']).sort(),
    );
  });

  it('matches a file by names and aliases alone as before (mappingSource aliases), even with a saved mapping around', async () => {
    const done = await h.importFile(toCsv(COMPANY_HEADERS, [companyRow(140)]), 'export.csv', { profile: 'companies' });
    expect(done).toMatchObject({ status: 'completed', totals: { created: 1 } });
    expect(done.file.mappingSource).toBe('aliases');
  });

  it('fails as before once the saved mapping is removed', async () => {
    const list = await h.http.get('/api/v1/mappings?profile=companies').set(h.auth);
    const [saved] = (list.body as { items: SavedMapping[] }).items;
    expect((await h.http.delete(`/api/v1/mappings/${saved?.id ?? ''}`).set(h.auth)).status).toBe(204);
    const failed = await h.importFile(toCsv(HEADERS, rowsOf(150, 1)), 'societes.csv', { profile: 'companies' });
    expect(failed.error?.code).toBe('missing_columns');
  });
});
