import * as XLSX from '@e965/xlsx';
import Papa from 'papaparse';

/** Luhn check digit that makes `base + digit` valid. */
export function luhnDigit(base: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${base}${digit}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let value = candidate.charCodeAt(candidate.length - 1 - i) - 48;
      if (i % 2 === 1) {
        value *= 2;
        if (value > 9) value -= 9;
      }
      sum += value;
    }
    if (sum % 10 === 0) return String(digit);
  }
  throw new Error('unreachable');
}

/** The n-th valid SIREN, deterministic. */
export const sirenFor = (n: number) => {
  const base = String(100_000_00 + n).padStart(8, '0');
  return `${base}${luhnDigit(base)}`;
};

/** A valid SIRET of that SIREN. */
export const siretFor = (siren: string, establishment = 1) => {
  const base = `${siren}${String(establishment).padStart(4, '0')}`;
  return `${base}${luhnDigit(base)}`;
};

/** Column order of the FoxReviews companies export. */
export const COMPANY_HEADERS = [
  'siren', 'siret', 'nom', 'nom_commercial', 'adresse', 'code_postal', 'ville_nom', 'naf_code',
  'naf_libelle', 'telephone', 'email_contact', 'site_web', 'is_active',
] as const;
export const CATEGORY_HEADERS = ['nom', 'description', 'meta_description', 'ordre'] as const;
export const SUBCATEGORY_HEADERS = ['nom', 'categorie', 'description', 'meta_description', 'mots_cles', 'ordre'] as const;

export type FixtureRow = Record<string, string | number | boolean | null>;

const NAF = ['6201Z', '47.11B', '5610A', '43.21A', '7022Z'];

/** The n-th company as a FoxReviews export would hold it (text cells). */
export function companyRow(n: number, overrides: FixtureRow = {}): FixtureRow {
  const siren = sirenFor(n);
  return {
    siren,
    siret: siretFor(siren),
    nom: `Société ${n}`,
    nom_commercial: `Enseigne ${n}`,
    adresse: `${(n % 200) + 1} rue de la République`,
    code_postal: String(1000 + (n % 90000)).padStart(5, '0'),
    ville_nom: `Ville ${n % 500}`,
    naf_code: NAF[n % NAF.length] ?? '6201Z',
    naf_libelle: 'Programmation informatique',
    telephone: `01 23 45 ${String(n % 100).padStart(2, '0')} 00`,
    email_contact: `contact${n}@example.fr`,
    site_web: `https://www.societe${n}.fr`,
    is_active: n % 7 === 0 ? 'non' : 'oui',
    ...overrides,
  };
}

export function toCsv(headers: readonly string[], rows: readonly FixtureRow[], options: { delimiter?: string; newline?: string } = {}): string {
  return Papa.unparse(
    { fields: [...headers], data: rows.map((row) => headers.map((h) => row[h] ?? '')) },
    { delimiter: options.delimiter ?? ',', newline: options.newline ?? '\n' },
  );
}

/** An XLSX workbook (one sheet) holding the rows, typed as given: numbers stay numbers. */
export function toXlsx(headers: readonly string[], rows: readonly FixtureRow[], sheetName = 'Feuil1'): Buffer {
  const sheet = XLSX.utils.aoa_to_sheet([[...headers], ...rows.map((row) => headers.map((h) => row[h] ?? null))]);
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, sheetName);
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}
