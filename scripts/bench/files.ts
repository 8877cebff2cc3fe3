/**
 * Deterministic files for the benchmark, cached under `.data/bench/`: the catalogue (21 categories, 704
 * subcategories: `naf.ts`) and companies whose NAF codes all resolve to it. The n-th row is always the same
 * company, so a cached file is reused as long as its size is unchanged.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import * as XLSX from '@e965/xlsx';
import Papa from 'papaparse';
import { CATEGORY_HEADERS, COMPANY_HEADERS, SUBCATEGORY_HEADERS, sirenFor, siretFor } from '@importer/testing';
import { CATEGORIES, SUBCATEGORIES, type BenchSubcategory } from './naf';

const STREETS = ['rue de la République', 'avenue Jean-Jaurès', 'boulevard Haussmann', 'place du Marché', 'chemin des Écoliers'];
/**
 * The n-th company of the benchmark, in the FoxReviews export columns (all valid). Its NAF code is the one
 * of subcategory n % 704, written as `62.10Z` or, every other row, `6210Z` (normalised on the way in), so
 * that every company links to a subcategory.
 */
function benchCompany(n: number): string[] {
  const siren = sirenFor(n);
  const subcategory = SUBCATEGORIES[n % SUBCATEGORIES.length] as BenchSubcategory;
  return [
    siren,
    siretFor(siren, 1 + (n % 3)),
    `Société ${n} & Fils`,
    n % 4 === 0 ? '' : `Enseigne ${n % 9973}`,
    // Every tenth address holds a comma, so it is quoted in the CSV.
    `${(n % 200) + 1}${n % 10 === 0 ? ', bis' : ''} ${STREETS[n % STREETS.length]}`,
    String(1000 + (n % 94000)).padStart(5, '0'),
    `Ville ${n % 3000}`,
    n % 2 === 0 ? subcategory.naf : subcategory.naf.replace('.', ''),
    subcategory.nom,
    `0${1 + (n % 9)} ${String(n % 100).padStart(2, '0')} ${String((n >> 7) % 100).padStart(2, '0')} 00 00`,
    `contact${n}@societe${n % 50000}.fr`,
    `https://www.societe${n}.fr`,
    n % 7 === 0 ? 'non' : 'oui',
  ];
}

export const BENCH_HEADERS: readonly string[] = COMPANY_HEADERS;

/** The n-th company as a JSON row of `POST /sync/:profile` (the same values as the files' n-th row). */
export const benchCompanyObject = (n: number): Record<string, string> => {
  const cells = benchCompany(n);
  return Object.fromEntries(BENCH_HEADERS.map((header, i) => [header, cells[i] as string]));
};

const BLOCK = 10_000;

/** What a dry run of the changes file should report against a table holding the base file. */
export interface ExpectedTotals {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
  warnings: number;
}

type Outcome = 'failed' | 'created' | 'updated' | 'unchanged';

/**
 * The base file with changes: row n is invalid (a bad e-mail) when n % 1000 = 3, a new company when
 * n % 100 = 2, renamed when n % 10 = 1, else the same.
 */
const outcomeOf = (n: number): Outcome => (n % 1000 === 3 ? 'failed' : n % 100 === 2 ? 'created' : n % 10 === 1 ? 'updated' : 'unchanged');

function changedCompany(n: number): string[] {
  const outcome = outcomeOf(n);
  if (outcome === 'created') return benchCompany(n + 50_000_000);
  const cells = benchCompany(n);
  if (outcome === 'failed') cells[10] = 'pas-un-email';
  if (outcome === 'updated') cells[2] = `Société ${n} renommée`;
  return cells;
}

async function writeAtomically(file: string, write: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await write(temp);
  await rename(temp, file);
}

/** A CSV (UTF-8, `,`, LF) of `rows` records, the i-th given by `record(i)`, written block by block; kept when cached. */
async function cachedCsv(file: string, headers: readonly string[], rows: number, record: (i: number) => string[]): Promise<string> {
  if (existsSync(file)) return file;
  await writeAtomically(file, async (temp) => {
    const out = createWriteStream(temp);
    out.write(`${headers.join(',')}\n`);
    for (let start = 0; start < rows; start += BLOCK) {
      const data = Array.from({ length: Math.min(BLOCK, rows - start) }, (_, i) => record(start + i));
      if (!out.write(`${Papa.unparse(data, { newline: '\n' })}\n`)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  });
  return file;
}

/** The 21 categories (FoxReviews categories columns). */
export const categoriesCsv = (dir: string): Promise<string> =>
  cachedCsv(path.join(dir, 'categories-21.csv'), CATEGORY_HEADERS, CATEGORIES.length, (i) => [
    CATEGORIES[i] as string,
    `Section ${i + 1} de la NAF`,
    '',
    String(i + 1),
  ]);

/** The 704 subcategories (FoxReviews subcategories columns, plus `naf_codes`: one code each). */
export const subcategoriesCsv = (dir: string): Promise<string> =>
  cachedCsv(path.join(dir, 'subcategories-704.csv'), [...SUBCATEGORY_HEADERS, 'naf_codes'], SUBCATEGORIES.length, (i) => {
    const { nom, categorie, naf } = SUBCATEGORIES[i] as BenchSubcategory;
    return [nom, categorie, `Entreprises du code ${naf}`, '', '', String(i), naf];
  });

/**
 * A CSV of `rows` companies, from the `first`-th on (files of distinct `first` hold distinct companies).
 * Named `linked`: their NAF codes resolve to the benchmark's subcategories (cached files of the earlier,
 * unlinked generation are not reused).
 */
export const companiesCsv = (dir: string, rows: number, first = 0): Promise<string> =>
  cachedCsv(path.join(dir, `companies-linked-${rows}${first ? `-from-${first}` : ''}.csv`), BENCH_HEADERS, rows, (i) =>
    benchCompany(first + i),
  );

/** The changes file of `rows` companies (see `changedCompany`) and the totals it should produce. */
export async function companiesChangesCsv(dir: string, rows: number): Promise<{ file: string; expected: ExpectedTotals }> {
  const expected: ExpectedTotals = { rows, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 };
  for (let n = 0; n < rows; n++) expected[outcomeOf(n)]++;
  const file = await cachedCsv(path.join(dir, `companies-linked-${rows}-changes.csv`), BENCH_HEADERS, rows, changedCompany);
  return { file, expected };
}

/** The base file with every row changed (renamed, another telephone): an update-heavy re-import. */
export const companiesRenamedCsv = (dir: string, rows: number): Promise<string> =>
  cachedCsv(path.join(dir, `companies-linked-${rows}-renamed.csv`), BENCH_HEADERS, rows, (n) => {
    const cells = benchCompany(n);
    cells[2] = `${cells[2]} (renommée)`;
    cells[9] = '09 99 99 99 99';
    return cells;
  });

/**
 * An XLSX of `rows` companies as a spreadsheet program saves it: SIREN and postal codes as numbers (so
 * postal codes lose their leading zero and must be padded back), the rest as shared strings.
 */
export async function companiesXlsx(dir: string, rows: number): Promise<string> {
  const file = path.join(dir, `companies-linked-${rows}.xlsx`);
  if (existsSync(file)) return file;
  await writeAtomically(file, async (temp) => {
    const data: (string | number)[][] = [[...BENCH_HEADERS]];
    for (let n = 0; n < rows; n++) {
      const row: (string | number)[] = benchCompany(n);
      row[0] = Number(row[0]);
      row[5] = Number(row[5]);
      data.push(row);
    }
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(data, { dense: true }), 'Entreprises');
    await writeFile(temp, XLSX.write(book, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer);
  });
  return file;
}
