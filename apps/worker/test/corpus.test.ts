/**
 * The reader corpus: files written by real office programs (LibreOffice, Gnumeric, openpyxl, XlsxWriter,
 * xlwt; see corpus/VERSIONS.md and scripts/corpus/), each imported by the compiled worker, every stored
 * column of every row compared with the tables below, written by hand from what the files hold.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPANY_HEADERS } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

let h: FaultHarness;
const referentiel: Record<string, Awaited<ReturnType<FaultHarness['importFile']>>> = {};

const corpus = (file: string) => readFileSync(path.join(__dirname, 'corpus', file));

beforeAll(async () => {
  h = await startFaultHarness({ fastHandover: false });
  await h.startWorker('corpus');
  // Companies link to these subcategories through their NAF codes.
  const book = corpus('libreoffice-referentiel.xlsx');
  referentiel.categories = await h.importFile(book, 'referentiel.xlsx', { profile: 'categories' });
  referentiel.subcategories = await h.importFile(book, 'referentiel.xlsx', { profile: 'subcategories', sheet: 'Sous-catégories' });
});
afterAll(async () => {
  await h?.close();
});

/** Every column of `companies` but the id and timestamps; the subcategory by name. */
const COMPANY_COLUMNS = [...COMPANY_HEADERS, 'subcategory_id', 'date_creation'];

/** What each companies file must store: the same six companies, however the program typed them. */
const COMPANIES = [
  {
    siren: '732829320',
    siret: '73282932000017',
    nom: 'Boulangerie Martin',
    nom_commercial: 'BOULANGERIE MARTIN',
    adresse: '3 place de la Halle',
    code_postal: '01000',
    ville_nom: 'Bourg-en-Bresse',
    naf_code: '10.71C',
    naf_libelle: 'Boulangerie et boulangerie-pâtisserie',
    telephone: '04 74 22 10 00',
    email_contact: 'contact@boulangerie-martin.fr',
    site_web: 'https://www.boulangerie-martin.fr',
    is_active: true,
    subcategory: 'Boulangerie',
    date_creation: '2011-03-15',
  },
  {
    siren: '552100554',
    siret: '55210055400013',
    nom: 'Société Générale d’Ébénisterie',
    nom_commercial: 'Œuvres & Cœurs',
    adresse: '12 € la place',
    code_postal: '75008',
    ville_nom: 'Paris',
    naf_code: '31.09B',
    naf_libelle: "Fabrication d'autres meubles et industries connexes de l'ameublement",
    telephone: '01 42 65 00 00',
    email_contact: 'atelier@oeuvres-coeurs.fr',
    site_web: 'https://oeuvres-coeurs.fr/atelier?ref=annuaire',
    is_active: false,
    subcategory: 'Ébénisterie',
    date_creation: '1999-12-31',
  },
  {
    siren: '402832109',
    siret: null,
    nom: 'Dupont; Fils & Cie, "Le Garage"',
    nom_commercial: null,
    adresse: 'Bâtiment A\nEscalier 2\n5 rue des Lilas',
    code_postal: '06000',
    ville_nom: 'Nice',
    naf_code: '45.20A',
    naf_libelle: 'Entretien et réparation de véhicules automobiles légers',
    telephone: null,
    email_contact: 'garage@dupont-fils.fr',
    site_web: null,
    is_active: true,
    subcategory: 'Garages',
    date_creation: '2020-02-29',
  },
  {
    siren: '812345676',
    siret: '81234567600124',
    nom: 'Café « Le Zinc »',
    nom_commercial: 'Le Zinc',
    adresse: "1 bis, rue de l'Église",
    code_postal: '20090',
    ville_nom: 'Ajaccio',
    naf_code: '56.30Z',
    naf_libelle: 'Débits de boissons',
    telephone: '+33 4 95 00 00 00',
    email_contact: 'bonjour@lezinc.fr',
    site_web: 'http://lezinc.fr',
    is_active: true,
    subcategory: 'Débits de boissons',
    date_creation: '2019-07-01',
  },
  {
    siren: '300123452',
    siret: '30012345200017',
    nom: 'Ets Lefèvre',
    nom_commercial: null,
    adresse: null,
    code_postal: '59000',
    ville_nom: 'Lille',
    naf_code: null,
    naf_libelle: null,
    telephone: null,
    email_contact: null,
    site_web: null,
    is_active: false,
    subcategory: null,
    date_creation: '1904-01-02',
  },
  {
    siren: '443061841',
    siret: null,
    nom: 'Coopérative Agricole du Léman',
    nom_commercial: null,
    adresse: 'Route du Lac',
    code_postal: '74200',
    ville_nom: 'Thonon-les-Bains',
    naf_code: '01.11Z',
    naf_libelle: 'Culture de céréales',
    telephone: '04 50 71 00 00',
    email_contact: 'info@coop-leman.fr',
    site_web: null,
    is_active: true,
    subcategory: null,
    date_creation: '1985-06-30',
  },
].sort((a, b) => a.siren.localeCompare(b.siren));

const storedCompanies = async () =>
  (
    await h.db.pool.query<Record<string, unknown>>(`
      SELECT c.siren, c.siret, c.nom, c.nom_commercial, c.adresse, c.code_postal, c.ville_nom, c.naf_code, c.naf_libelle,
        c.telephone, c.email_contact, c.site_web, c.is_active, s.nom AS subcategory, to_char(c.date_creation, 'YYYY-MM-DD') AS date_creation
      FROM companies c LEFT JOIN subcategories s ON s.id = c.subcategory_id ORDER BY c.siren`)
  ).rows;

const XLSX = { format: 'xlsx', encoding: null, delimiter: null, sheet: 'Entreprises' };
const XLS = { ...XLSX, format: 'xls' };
const csv = (encoding: string, delimiter: string) => ({ format: 'csv', encoding, delimiter, sheet: null });

/** Each companies file, the import options it needs, and the dialect the import must record. */
const FILES: [string, Record<string, string>, Record<string, unknown>][] = [
  // The first sheet of each workbook is a hidden list sheet: the visible "Entreprises" must be read.
  ['openpyxl.xlsx', {}, XLSX],
  ['openpyxl-1904.xlsx', {}, XLSX],
  ['xlsxwriter.xlsx', {}, XLSX],
  ['xlsxwriter-1904-constant-memory.xlsx', {}, XLSX],
  ['libreoffice.xlsx', {}, XLSX],
  ['libreoffice-1904.xlsx', {}, XLSX],
  // Gnumeric's XLSX export does not keep the list sheet hidden: the sheet is named.
  ['gnumeric.xlsx', { sheet: 'Entreprises' }, XLSX],
  ['xlwt.xls', {}, XLS],
  ['xlwt-1904.xls', {}, XLS],
  ['libreoffice.xls', {}, XLS],
  ['libreoffice-1904.xls', {}, XLS],
  ['gnumeric.xls', {}, XLS],
  ['libreoffice-utf8-semicolon.csv', {}, csv('utf-8', ';')],
  ['libreoffice-windows-1252-semicolon.csv', {}, csv('windows-1252', ';')],
  ['libreoffice-utf16-tab.txt', {}, csv('utf-16le', '\t')],
  ['gnumeric-comma-crlf.csv', {}, csv('utf-8', ',')],
];

describe('files written by office programs, imported by the compiled worker', () => {
  it('the check below covers every column of companies', async () => {
    const { rows } = await h.db.pool.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'companies' AND column_name NOT IN ('id', 'created_at', 'updated_at')`,
    );
    expect(rows.map((row) => row.name).sort()).toEqual([...COMPANY_COLUMNS].sort());
  });

  it('stores the categories and subcategories of a LibreOffice workbook, one sheet each', async () => {
    for (const [profile, result] of Object.entries(referentiel)) {
      expect({ profile, status: result.status, error: result.error }).toEqual({ profile, status: 'completed', error: null });
    }
    expect(referentiel.categories?.file).toMatchObject({ format: 'xlsx', sheet: 'Catégories' });
    expect(referentiel.categories?.totals).toMatchObject({ rows: 3, created: 3, failed: 0 });
    expect(referentiel.subcategories?.totals).toMatchObject({ rows: 4, created: 4, failed: 0 });
    const categories = await h.db.pool.query(
      'SELECT nom, nom_key, slug, description, meta_description, ordre FROM categories ORDER BY nom_key',
    );
    expect(categories.rows).toEqual([
      {
        nom: 'Alimentation',
        nom_key: 'alimentation',
        slug: 'alimentation',
        description: 'Commerces de bouche',
        meta_description: 'Boulangeries, cafés et restaurants',
        ordre: 1,
      },
      {
        nom: 'Artisanat',
        nom_key: 'artisanat',
        slug: 'artisanat',
        description: "Métiers d'art\net artisanat",
        meta_description: null,
        ordre: 2,
      },
      {
        nom: 'Auto & Moto',
        nom_key: 'auto & moto',
        slug: 'auto-moto',
        description: null,
        meta_description: 'Garages et concessions',
        ordre: 3,
      },
    ]);
    const subcategories = await h.db.pool.query(`
      SELECT c.nom AS categorie, s.nom, s.nom_key, s.slug, s.description, s.meta_description, s.mots_cles, s.ordre, s.naf_codes
      FROM subcategories s JOIN categories c ON c.id = s.category_id ORDER BY s.nom_key`);
    expect(subcategories.rows).toEqual([
      {
        categorie: 'Alimentation',
        nom: 'Boulangerie',
        nom_key: 'boulangerie',
        slug: 'boulangerie',
        description: 'Pain et viennoiseries',
        meta_description: null,
        mots_cles: 'pain; viennoiserie',
        ordre: 1,
        naf_codes: ['10.71C', '10.71D'],
      },
      {
        categorie: 'Alimentation',
        nom: 'Débits de boissons',
        nom_key: 'debits de boissons',
        slug: 'debits-de-boissons',
        description: null,
        meta_description: 'Cafés et bars',
        mots_cles: null,
        ordre: 2,
        naf_codes: ['56.30Z'],
      },
      {
        categorie: 'Artisanat',
        nom: 'Ébénisterie',
        nom_key: 'ebenisterie',
        slug: 'ebenisterie',
        description: null,
        meta_description: null,
        mots_cles: 'meubles',
        ordre: null,
        naf_codes: ['31.09B'],
      },
      {
        categorie: 'Auto & Moto',
        nom: 'Garages',
        nom_key: 'garages',
        slug: 'garages',
        description: 'Entretien et réparation',
        meta_description: null,
        mots_cles: null,
        ordre: 1,
        naf_codes: ['45.20A', '45.20B'],
      },
    ]);
  });

  it.each(FILES)('%s: every company stored as written', async (file, fields, dialect) => {
    await h.db.pool.query('DELETE FROM companies');
    const result = await h.importFile(corpus(file), file, { profile: 'companies', ...fields });
    expect({ status: result.status, error: result.error, errors: await h.errorsOf(result.id) }).toEqual({
      status: 'completed',
      error: null,
      errors: [],
    });
    expect(result.file).toMatchObject(dialect);
    expect(result.totals).toEqual({ rows: 6, created: 6, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
    expect(await storedCompanies()).toEqual(COMPANIES);
  });
});
