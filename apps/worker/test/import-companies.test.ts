import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, toXlsx } from '@importer/testing';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('importing companies end to end', () => {
  it('imports a FoxReviews companies CSV with exact totals and stored values, then finds it all unchanged', async () => {
    const rows = Array.from({ length: 1200 }, (_, n) => companyRow(n));
    const csv = toCsv(COMPANY_HEADERS, rows);

    const first = await h.importFile(csv, 'companies.csv', { profile: 'companies' });
    expect(first.status).toBe('completed');
    expect(first.totals).toEqual({ rows: 1200, created: 1200, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
    expect(first.file).toMatchObject({ format: 'csv', encoding: 'utf-8', delimiter: ',' });
    expect(first.progress.percent).toBe(100);

    const { rows: stored } = await h.db.pool.query(
      `SELECT siren, siret, nom, code_postal, naf_code, is_active, email_contact FROM companies WHERE siren = $1`,
      [sirenFor(7)],
    );
    expect(stored[0]).toEqual({
      siren: sirenFor(7),
      siret: companyRow(7).siret,
      nom: 'Société 7',
      code_postal: '01007',
      naf_code: '56.10A',
      is_active: false,
      email_contact: 'contact7@example.fr',
    });

    const again = await h.importFile(csv, 'companies.csv', { profile: 'companies' });
    expect(again.totals).toEqual({ rows: 1200, created: 0, updated: 0, unchanged: 1200, skipped: 0, failed: 0, warnings: 0 });
  });
});

describe('companies from a workbook', () => {
  it('imports an XLSX with numeric cells: postal codes padded, SIREN as numbers, dates as dates', async () => {
    const headers = ['SIREN', 'Raison sociale', 'CP', 'Ville', 'APE', 'Actif', 'date_creation'];
    const rows = [
      {
        SIREN: Number(sirenFor(5001)),
        'Raison sociale': 'Boulangerie Martin',
        CP: 1000,
        Ville: 'Bourg-en-Bresse',
        APE: '1071C',
        Actif: 1,
        date_creation: '15/03/2011',
      },
      {
        SIREN: sirenFor(5002),
        'Raison sociale': 'Garage Dupont',
        CP: '06000',
        Ville: 'Nice',
        APE: '45.20A',
        Actif: 'non',
        date_creation: '2019-07-01',
      },
    ];
    const result = await h.importFile(toXlsx(headers, rows), 'entreprises.xlsx', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({ rows: 2, created: 2, failed: 0 });
    const { rows: stored } = await h.db.pool.query(
      `SELECT siren, nom, code_postal, ville_nom, naf_code, is_active, to_char(date_creation, 'YYYY-MM-DD') AS date_creation
       FROM companies WHERE siren = ANY($1) ORDER BY siren`,
      [[sirenFor(5001), sirenFor(5002)]],
    );
    expect(stored).toEqual([
      {
        siren: sirenFor(5001),
        nom: 'Boulangerie Martin',
        code_postal: '01000',
        ville_nom: 'Bourg-en-Bresse',
        naf_code: '10.71C',
        is_active: true,
        date_creation: '2011-03-15',
      },
      {
        siren: sirenFor(5002),
        nom: 'Garage Dupont',
        code_postal: '06000',
        ville_nom: 'Nice',
        naf_code: '45.20A',
        is_active: false,
        date_creation: '2019-07-01',
      },
    ]);
    const again = await h.importFile(toXlsx(headers, rows), 'entreprises.xlsx', { profile: 'companies' });
    expect(again.totals).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2 });
  });
});

describe('bad rows and bad files', () => {
  it('stores each bad row with its spreadsheet row number, column and code, and writes the good rows', async () => {
    const good = (n: number) => companyRow(9000 + n);
    const rows = [
      good(1),
      { ...good(2), siren: '123456789' }, // row 3: bad checksum
      { ...good(3), adresse: 'Bâtiment B\n2e étage' }, // row 4: a quoted newline does not start a new row
      { ...good(4), email_contact: 'pas-un-email', code_postal: '750' }, // row 5: two errors
      { ...good(5), nom: '' }, // row 6: required
      good(6),
    ];
    const result = await h.importFile(toCsv(COMPANY_HEADERS, rows), 'bad.csv', { profile: 'companies' });
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toEqual({ rows: 6, created: 3, updated: 0, unchanged: 0, skipped: 0, failed: 3, warnings: 0 });
    const errors = await h.errorsOf(result.id);
    expect(errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 3, column: 'siren', code: 'invalid_siren' },
      { row: 5, column: 'code_postal', code: 'invalid_postal_code' },
      { row: 5, column: 'email_contact', code: 'invalid_email' },
      { row: 6, column: 'nom', code: 'required' },
    ]);
    expect(errors[0]).toMatchObject({ value: '123456789' });
    expect(errors[0]?.message).toContain('checksum');
    const { rows: stored } = await h.db.pool.query(`SELECT adresse FROM companies WHERE siren = $1`, [sirenFor(9003)]);
    expect(stored).toEqual([{ adresse: 'Bâtiment B\n2e étage' }]);
  });

  it('keeps the last of two rows with the same key and skips the first with duplicate_key', async () => {
    const rows = [companyRow(9100, { nom: 'Ancien nom' }), companyRow(9101), companyRow(9100, { nom: 'Nouveau nom' })];
    const result = await h.importFile(toCsv(COMPANY_HEADERS, rows), 'dupes.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.totals).toEqual({ rows: 3, created: 2, updated: 0, unchanged: 0, skipped: 1, failed: 0, warnings: 1 });
    expect(await h.errorsOf(result.id)).toEqual([expect.objectContaining({ row: 2, level: 'warning', code: 'duplicate_key' })]);
    const { rows: stored } = await h.db.pool.query(`SELECT nom FROM companies WHERE siren = $1`, [sirenFor(9100)]);
    expect(stored).toEqual([{ nom: 'Nouveau nom' }]);
  });

  it('fails a file missing a required column at once, naming the expected columns, writing nothing', async () => {
    const before = await h.db.pool.query('SELECT count(*)::int AS n FROM companies');
    const result = await h.importFile('siret,nom\n12345678901234,Acme\n', 'no-siren.csv', { profile: 'companies' });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('missing_columns');
    expect(result.error?.message).toMatch(/Missing required column siren.*Expected columns: siren \(required\), siret, nom \(required\)/);
    expect(result.attempts).toBe(1);
    const after = await h.db.pool.query('SELECT count(*)::int AS n FROM companies');
    expect(after.rows).toEqual(before.rows);
  });
});
