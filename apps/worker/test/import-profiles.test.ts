import { CATEGORY_HEADERS, SUBCATEGORY_HEADERS, sirenFor, toCsv, toXlsx, type FixtureRow } from '@importer/testing';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ chunkSize: 3 });
});
afterAll(async () => {
  await h.close();
});

const categories: FixtureRow[] = [
  { nom: 'Restauration', description: 'Cafés et restaurants', meta_description: 'Où manger', ordre: 1 },
  { nom: 'Informatique', description: 'Services numériques', meta_description: '', ordre: 2 },
  { nom: 'Bâtiment', description: '', meta_description: '', ordre: 3 },
  { nom: 'Santé', description: 'Soins', meta_description: '', ordre: '' },
];

const subcategories: FixtureRow[] = [
  { nom: 'Pizzeria', categorie: 'restauration', description: 'Pizzas', meta_description: '', mots_cles: 'pizza, four', ordre: 1 },
  { nom: 'Brasserie', categorie: 'RESTAURATION', description: '', meta_description: '', mots_cles: '', ordre: 2 },
  { nom: 'Développement', categorie: 'Informatique', description: 'Logiciels', meta_description: '', mots_cles: 'dev', ordre: 1 },
  { nom: 'Électricité', categorie: 'Batiment', description: '', meta_description: '', mots_cles: '', ordre: 1 },
];

const categoriesCsv = toCsv(CATEGORY_HEADERS, categories, { delimiter: ';', newline: '\r\n' });
const nafHeaders = ['sous_categorie', 'parent', 'codes_naf', 'ordre'];
const nafRows = [
  { sous_categorie: 'Pizzeria', parent: 'Restauration', codes_naf: '5610A; 5610C', ordre: 1 },
  { sous_categorie: 'Développement', parent: 'Informatique', codes_naf: '6201Z,62.02A', ordre: 1 },
];

// Each test stores what it reads itself (an earlier test may have stored it already: then nothing changes).
const storeCategories = () => h.importFile(categoriesCsv, 'categories.csv', { profile: 'categories' });
async function storeSubcategories() {
  await storeCategories();
  await h.importFile(toCsv(SUBCATEGORY_HEADERS, subcategories), 'subcategories.csv', { profile: 'subcategories' });
}

describe('importing categories and subcategories', () => {
  it('imports a categories CSV, derives slugs, and reports an identical re-import as unchanged', async () => {
    const csv = categoriesCsv;
    const first = await h.importFile(csv, 'categories.csv', { profile: 'categories' });
    expect(first.status).toBe('completed');
    expect(first.file.delimiter).toBe(';');
    expect(first.totals).toEqual({ rows: 4, created: 4, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
    const { rows } = await h.db.pool.query(
      'SELECT nom, nom_key, slug, description, meta_description, ordre FROM categories ORDER BY ordre NULLS LAST',
    );
    expect(rows).toEqual([
      {
        nom: 'Restauration',
        nom_key: 'restauration',
        slug: 'restauration',
        description: 'Cafés et restaurants',
        meta_description: 'Où manger',
        ordre: 1,
      },
      {
        nom: 'Informatique',
        nom_key: 'informatique',
        slug: 'informatique',
        description: 'Services numériques',
        meta_description: null,
        ordre: 2,
      },
      { nom: 'Bâtiment', nom_key: 'batiment', slug: 'batiment', description: null, meta_description: null, ordre: 3 },
      { nom: 'Santé', nom_key: 'sante', slug: 'sante', description: 'Soins', meta_description: null, ordre: null },
    ]);
    const again = await h.importFile(csv, 'categories.csv', { profile: 'categories' });
    expect(again.totals).toMatchObject({ rows: 4, created: 0, updated: 0, unchanged: 4 });
  });

  it('imports an XLSX of categories matched case- and accent-insensitively, updating what changed', async () => {
    await storeCategories();
    const xlsx = toXlsx(
      ['Name', 'Description', 'Meta_Description', 'Position'],
      [
        { Name: 'SANTE', Description: 'Soins et bien-être', Meta_Description: null, Position: 4 },
        { Name: 'Commerce', Description: null, Meta_Description: null, Position: 5 },
      ],
    );
    const result = await h.importFile(xlsx, 'categories.xlsx', { profile: 'categories' });
    expect(result.status).toBe('completed');
    expect(result.file).toMatchObject({ format: 'xlsx', sheet: 'Feuil1' });
    expect(result.totals).toMatchObject({ rows: 2, created: 1, updated: 1, unchanged: 0, failed: 0 });
    const { rows } = await h.db.pool.query(`SELECT nom, description, ordre FROM categories WHERE nom_key = 'sante'`);
    expect(rows).toEqual([{ nom: 'SANTE', description: 'Soins et bien-être', ordre: 4 }]);
  });

  it('imports subcategories under categories named loosely, and rejects an unknown parent with unknown_category', async () => {
    await storeCategories();
    const rows = [
      ...subcategories,
      { nom: 'Plomberie', categorie: 'Artisanat', description: '', meta_description: '', mots_cles: '', ordre: 1 },
    ];
    const result = await h.importFile(toCsv(SUBCATEGORY_HEADERS, rows), 'subcategories.csv', { profile: 'subcategories' });
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toEqual({ rows: 5, created: 4, updated: 0, unchanged: 0, skipped: 0, failed: 1, warnings: 0 });
    expect(await h.errorsOf(result.id)).toEqual([
      expect.objectContaining({ row: 6, level: 'error', column: 'categorie', code: 'unknown_category', value: 'Artisanat' }),
    ]);
    const { rows: stored } = await h.db.pool.query(
      `SELECT s.nom, s.slug, c.nom AS categorie, s.mots_cles FROM subcategories s JOIN categories c ON c.id = s.category_id ORDER BY s.id`,
    );
    expect(stored).toEqual([
      { nom: 'Pizzeria', slug: 'pizzeria', categorie: 'Restauration', mots_cles: 'pizza, four' },
      { nom: 'Brasserie', slug: 'brasserie', categorie: 'Restauration', mots_cles: null },
      { nom: 'Développement', slug: 'developpement', categorie: 'Informatique', mots_cles: 'dev' },
      { nom: 'Électricité', slug: 'electricite', categorie: 'Bâtiment', mots_cles: null },
    ]);
  });

  it('imports subcategories from XLSX with NAF code lists, then reports the same file unchanged', async () => {
    await storeSubcategories();
    const first = await h.importFile(toXlsx(nafHeaders, nafRows), 'subcategories.xlsx', { profile: 'subcategories' });
    expect(first.totals).toMatchObject({ rows: 2, created: 0, updated: 2, unchanged: 0, failed: 0 });
    const { rows: stored } = await h.db.pool.query(
      `SELECT nom, naf_codes, description FROM subcategories WHERE naf_codes <> '{}' ORDER BY id`,
    );
    expect(stored).toEqual([
      { nom: 'Pizzeria', naf_codes: ['56.10A', '56.10C'], description: 'Pizzas' },
      { nom: 'Développement', naf_codes: ['62.01Z', '62.02A'], description: 'Logiciels' },
    ]);
    const again = await h.importFile(toXlsx(nafHeaders, nafRows), 'subcategories.xlsx', { profile: 'subcategories' });
    expect(again.totals).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2 });
  });

  it('creates missing categories when asked', async () => {
    const rows = [{ nom: 'Plomberie', categorie: 'Artisanat', description: '', meta_description: '', mots_cles: '', ordre: 1 }];
    const result = await h.importFile(toCsv(SUBCATEGORY_HEADERS, rows), 'subcategories.csv', {
      profile: 'subcategories',
      createMissingCategories: 'true',
    });
    expect(result.totals).toMatchObject({ rows: 1, created: 1, failed: 0 });
    const { rows: stored } = await h.db.pool.query(`SELECT nom, slug FROM categories WHERE nom_key = 'artisanat'`);
    expect(stored).toEqual([{ nom: 'Artisanat', slug: 'artisanat' }]);
  });

  it('links companies to a subcategory by name (category to disambiguate), else by NAF code, and warns when unresolved', async () => {
    await storeSubcategories();
    await h.importFile(toXlsx(nafHeaders, nafRows), 'subcategories.xlsx', { profile: 'subcategories' });
    const headers = ['siren', 'nom', 'sous_categorie', 'categorie', 'naf_code'];
    const rows = [
      { siren: sirenFor(1), nom: 'Chez Luigi', sous_categorie: 'pizzeria', categorie: 'Restauration', naf_code: '' },
      { siren: sirenFor(2), nom: 'Code & Co', sous_categorie: '', categorie: '', naf_code: '6202A' },
      { siren: sirenFor(3), nom: 'Mystère SARL', sous_categorie: 'Astrologie', categorie: '', naf_code: '' },
    ];
    const result = await h.importFile(toCsv(headers, rows), 'companies.csv', { profile: 'companies' });
    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({ rows: 3, created: 3, failed: 0, warnings: 1 });
    expect(await h.errorsOf(result.id)).toEqual([
      expect.objectContaining({ row: 4, level: 'warning', column: 'sous_categorie', code: 'unresolved_subcategory' }),
    ]);
    const { rows: links } = await h.db.pool.query(
      `SELECT c.nom, s.nom AS subcategory FROM companies c LEFT JOIN subcategories s ON s.id = c.subcategory_id ORDER BY c.siren`,
    );
    expect(links).toEqual([
      { nom: 'Chez Luigi', subcategory: 'Pizzeria' },
      { nom: 'Code & Co', subcategory: 'Développement' },
      { nom: 'Mystère SARL', subcategory: null },
    ]);
  });
});
