/**
 * Deterministic companies files for the benchmark, cached under `.data/bench/`: the n-th row is always the
 * same company, so a cached file is reused as long as its size is unchanged.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import * as XLSX from '@e965/xlsx';
import Papa from 'papaparse';
import { COMPANY_HEADERS, sirenFor, siretFor } from '@importer/testing';

const STREETS = ['rue de la République', 'avenue Jean-Jaurès', 'boulevard Haussmann', 'place du Marché', 'chemin des Écoliers'];
const NAF = ['6201Z', '47.11B', '5610A', '43.21A', '70.22Z', '4520A', '86.21Z'];
const LABELS = [
  'Programmation informatique',
  'Supermarchés',
  'Restauration traditionnelle',
  'Installation électrique',
  'Conseil en gestion',
  'Entretien de véhicules',
  'Médecine générale',
];

/** The n-th company of the benchmark, in the FoxReviews export columns (all valid). */
function benchCompany(n: number): string[] {
  const siren = sirenFor(n);
  const naf = n % NAF.length;
  return [
    siren,
    siretFor(siren, 1 + (n % 3)),
    `Société ${n} & Fils`,
    n % 4 === 0 ? '' : `Enseigne ${n % 9973}`,
    // Every tenth address holds a comma, so it is quoted in the CSV.
    `${(n % 200) + 1}${n % 10 === 0 ? ', bis' : ''} ${STREETS[n % STREETS.length]}`,
    String(1000 + (n % 94000)).padStart(5, '0'),
    `Ville ${n % 3000}`,
    NAF[naf] as string,
    LABELS[naf] as string,
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

/** A CSV of `rows` companies (UTF-8, `,`, LF), written block by block. */
export async function companiesCsv(dir: string, rows: number): Promise<string> {
  const file = path.join(dir, `companies-${rows}.csv`);
  if (existsSync(file)) return file;
  await writeAtomically(file, async (temp) => {
    const out = createWriteStream(temp);
    out.write(`${BENCH_HEADERS.join(',')}\n`);
    for (let start = 0; start < rows; start += BLOCK) {
      const data = Array.from({ length: Math.min(BLOCK, rows - start) }, (_, i) => benchCompany(start + i));
      const text = `${Papa.unparse(data, { newline: '\n' })}\n`;
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  });
  return file;
}

/** The changes file of `rows` companies (see `changedCompany`) and the totals it should produce. */
export async function companiesChangesCsv(dir: string, rows: number): Promise<{ file: string; expected: ExpectedTotals }> {
  const expected: ExpectedTotals = { rows, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 };
  for (let n = 0; n < rows; n++) expected[outcomeOf(n)]++;
  const file = path.join(dir, `companies-${rows}-changes.csv`);
  if (!existsSync(file)) {
    await writeAtomically(file, async (temp) => {
      const out = createWriteStream(temp);
      out.write(`${BENCH_HEADERS.join(',')}\n`);
      for (let start = 0; start < rows; start += BLOCK) {
        const data = Array.from({ length: Math.min(BLOCK, rows - start) }, (_, i) => changedCompany(start + i));
        if (!out.write(`${Papa.unparse(data, { newline: '\n' })}\n`)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
    });
  }
  return { file, expected };
}

/** The base file with every row changed (renamed, another telephone): an update-heavy re-import. */
export async function companiesRenamedCsv(dir: string, rows: number): Promise<string> {
  const file = path.join(dir, `companies-${rows}-renamed.csv`);
  if (existsSync(file)) return file;
  await writeAtomically(file, async (temp) => {
    const out = createWriteStream(temp);
    out.write(`${BENCH_HEADERS.join(',')}\n`);
    for (let start = 0; start < rows; start += BLOCK) {
      const data = Array.from({ length: Math.min(BLOCK, rows - start) }, (_, i) => {
        const cells = benchCompany(start + i);
        cells[2] = `${cells[2]} (renommée)`;
        cells[9] = '09 99 99 99 99';
        return cells;
      });
      if (!out.write(`${Papa.unparse(data, { newline: '\n' })}\n`)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  });
  return file;
}

/**
 * An XLSX of `rows` companies as a spreadsheet program saves it: SIREN and postal codes as numbers (so
 * postal codes lose their leading zero and must be padded back), the rest as shared strings.
 */
export async function companiesXlsx(dir: string, rows: number): Promise<string> {
  const file = path.join(dir, `companies-${rows}.xlsx`);
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
