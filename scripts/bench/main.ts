/**
 * `npm run bench [-- --csv-rows N[,N…] --xlsx-rows N --sync-rows N --chunk-size N --keep-db]`: Importer's speed
 * against PostgreSQL's own, measured in one run on one machine; the targets are in docs/benchmark.md.
 * `npm run bench -- --workers 1,2,4` runs only the scaling mode (`scaling.ts`).
 *
 * 1. Deterministic files (default: CSVs of 300,000 and 1,000,000 companies, a 100,000-row XLSX), cached
 *    under `.data/bench/`; every company's NAF code resolves to one of 704 subcategories (`naf.ts`).
 * 2. The product started on a database, queue prefix and file store of its own (`services.ts`): the real
 *    API and a compiled worker; the 21 categories and 704 subcategories imported through it.
 * 3. At each CSV size: the reference, COPY into a staging table + one INSERT … SELECT … LEFT JOIN
 *    subcategories … ON CONFLICT, first into an empty table, then the identical file again (guarded by
 *    IS DISTINCT FROM); the same without the join (no link); then Importer's full path, the file uploaded
 *    over HTTP with a token and timed from the upload's first byte to the import's final status, first
 *    import and identical re-import, with the worker's peak RSS and the rows per chunk it logs.
 * 4. At the largest size: a dry run of a changed copy (exact report, table untouched), the update-heavy
 *    import against its reference, the lineage's cost on the reference.
 * 5. The XLSX into an empty table; sync: companies pushed as JSON to `POST /sync/companies` (default
 *    100,000 rows, batches of 1,000, 4 concurrent clients); SQL statements per chunk, in process, at two
 *    chunk sizes.
 *
 * `npm run bench -- --api [--api-seconds N] [--api-profile DIR]` runs only the read path's benchmark (`api.ts`).
 * `npm run bench -- --uploads [--upload-rows N] [--upload-rounds N]` runs only the uploads' (`uploads.ts`).
 */
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, importLimits, loadWorkerConfig, type ImportLimits } from '@importer/config';
import type { Pool } from '@importer/db';
import { companiesChangesCsv, companiesCsv, companiesRenamedCsv, companiesXlsx, type ExpectedTotals } from './files';
import { importOverHttp } from './importer';
import { benchApi } from './api';
import { benchImport, lineageSize } from './lineage';
import { backendsCpu, cpuSeconds } from './cpu';
import { peakRssMb, resetPeakRss, workingPid } from './processes';
import { checkLinkedSchema, referenceImport, type ReferenceRun } from './reference';
import { printReport, type DryRunMeasure, type ImporterMeasure, type Measured, type SizeMeasure } from './report';
import { measureScaling, printScaling, scalingFiles, SCALING_ROWS } from './scaling';
import { freePort, seedCatalogue, startServices } from './services';
import { measureStatements } from './statements';
import { syncOverHttp } from './sync';
import { benchUploads } from './uploads';

const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, '.data/bench');

const { values: flags } = parseArgs({
  options: {
    'csv-rows': { type: 'string', default: '300000,1000000' },
    'xlsx-rows': { type: 'string', default: '100000' },
    'sync-rows': { type: 'string', default: '100000' },
    'chunk-size': { type: 'string' },
    'statement-rows': { type: 'string', default: '20000' },
    workers: { type: 'string' },
    'keep-db': { type: 'boolean', default: false },
    api: { type: 'boolean', default: false },
    'api-seconds': { type: 'string', default: '10' },
    'api-profile': { type: 'string' },
    uploads: { type: 'boolean', default: false },
    'upload-rows': { type: 'string', default: '1000000' },
    'upload-rounds': { type: 'string', default: '3' },
  },
});
/** A flag's positive whole numbers, separated by commas. */
const counts = (name: keyof typeof flags): number[] =>
  String(flags[name])
    .split(',')
    .map((part) => {
      const value = Number(part);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be positive whole numbers separated by commas`);
      return value;
    });
const count = (name: keyof typeof flags) => {
  const values = counts(name);
  if (values.length !== 1) throw new Error(`--${name} takes one number`);
  return values[0] as number;
};

const log = (message: string) => console.log(`[bench] ${message}`);
const machine = () => ({ load: os.loadavg(), cpus: os.cpus().length });
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

async function main(): Promise<void> {
  if (flags.api) {
    const storageDir = path.join(CACHE, 'storage-api');
    await mkdir(storageDir, { recursive: true });
    const profileDir = flags['api-profile'] && path.resolve(flags['api-profile']);
    return benchApi({ serverUrl, redisUrl, port: await freePort(), storageDir, seconds: count('api-seconds'), profileDir, log });
  }
  if (flags.uploads) {
    const file = await companiesCsv(CACHE, count('upload-rows'));
    return benchUploads({ serverUrl, redisUrl, cacheDir: CACHE, file, rounds: count('upload-rounds'), log });
  }
  if (flags.workers) return scalingMode(counts('workers'));
  const sizes = [...new Set(counts('csv-rows'))].sort((a, b) => a - b);
  const largest = sizes.at(-1) as number;
  const xlsxRows = count('xlsx-rows');
  const syncRows = count('sync-rows');
  const statementRows = count('statement-rows');

  log(
    `files: ${sizes.map((n) => n.toLocaleString('en')).join(' and ')}-row CSVs, ${xlsxRows.toLocaleString('en')}-row XLSX (cached in .data/bench)`,
  );
  const csvs = new Map<number, string>();
  for (const rows of sizes) csvs.set(rows, await companiesCsv(CACHE, rows));
  const xlsx = await companiesXlsx(CACHE, xlsxRows);
  const small = await companiesCsv(CACHE, statementRows);
  const changes = await companiesChangesCsv(CACHE, largest);
  const renamed = await companiesRenamedCsv(CACHE, largest);
  const fileMb = Math.max((await stat(csvs.get(largest) as string)).size, (await stat(xlsx)).size) / 1024 / 1024;

  log('starting the API and a worker (node apps/api/dist/main.js, node apps/worker/dist/main.js)');
  const services = await startServices({
    serverUrl,
    redisUrl,
    cacheDir: CACHE,
    maxFileMb: Math.ceil(fileMb) + 16,
    maxRows: Math.max(largest, xlsxRows),
    chunkSize: flags['chunk-size'] ? count('chunk-size') : undefined,
    workers: 1,
  });
  const { db } = services;
  const measured: Measured = { sizes: [], largest: { rows: largest, reference: {} }, xlsxRows, statements: new Map() };
  try {
    await checkLinkedSchema(db.pool);
    const token = await services.newToken('bench');
    log('catalogue: 21 categories and 704 subcategories imported through the API');
    measured.seedSeconds = (await seedCatalogue(services, token, CACHE)).seconds;
    const worker = services.workers[0]!;
    const workerPid = worker.child.pid as number;
    const apiPid = await workingPid(services.api.child.pid as number);

    const run = async (label: string, file: string): Promise<ImporterMeasure> => {
      await resetPeakRss(workerPid);
      const processesBefore = await Promise.all([workerPid, apiPid].map((pid) => cpuSeconds(pid)));
      const mainThreadBefore = await cpuSeconds(workerPid, workerPid);
      const database = await backendsCpu(db.pool);
      const result = await importOverHttp(services.baseUrl, token, file, { profile: 'companies' });
      const peakMb = await peakRssMb(workerPid);
      const [workerCpu, apiCpu] = (await Promise.all([workerPid, apiPid].map((pid) => cpuSeconds(pid)))).map(
        (after, i) => after - (processesBefore[i] as number),
      );
      const mainThread = (await cpuSeconds(workerPid, workerPid)) - mainThreadBefore;
      const cpu = { worker: workerCpu as number, api: apiCpu as number, database: await database.stop() };
      const { chunkRows } = await worker.importFinished(result.record.id);
      const { status, totals } = result.record;
      log(
        `${label}: ${status} in ${result.seconds.toFixed(1)} s (upload ${result.uploadSeconds.toFixed(2)} s), ${JSON.stringify(totals)}, CPU ${cpu.worker.toFixed(1)} s in the worker (${mainThread.toFixed(1)} s in its main thread), ${cpu.api.toFixed(1)} s in the API, ${cpu.database.toFixed(1)} s in PostgreSQL, worker peak ${peakMb.toFixed(0)} MB`,
      );
      if (status !== 'completed') throw new Error(`${label} ended ${status}: ${JSON.stringify(result.record.error)}`);
      return { run: result, peakMb, cpu, chunkRows };
    };

    for (const rows of sizes) {
      const csv = csvs.get(rows) as string;
      const size: SizeMeasure = { rows, reference: {}, importer: {} };
      measured.sizes.push(size);
      const at = `${rows.toLocaleString('en')} rows`;
      log(`${at}: reference, COPY + INSERT … SELECT … LEFT JOIN subcategories … ON CONFLICT`);
      await db.reset();
      size.reference.first = await referenceImport(db.pool, csv);
      size.reference.again = await referenceImport(db.pool, csv);
      await checkLinked(db.pool, rows);
      if (rows === largest) measured.largest.reference.renamed = await referenceImport(db.pool, renamed);
      log(`${at}: reference ${rate(rows, size.reference.first)} and ${rate(rows, size.reference.again)} rows/s; without the link:`);
      await db.reset();
      size.reference.unlinkedFirst = await referenceImport(db.pool, csv, { link: false });
      size.reference.unlinkedAgain = await referenceImport(db.pool, csv, { link: false });
      log(
        `${at}: reference without the link ${rate(rows, size.reference.unlinkedFirst)} and ${rate(rows, size.reference.unlinkedAgain)} rows/s`,
      );

      await db.reset();
      size.importer.first = await run(`${at}: CSV first import`, csv);
      size.importer.again = await run(`${at}: CSV identical re-import`, csv);
      await checkLinked(db.pool, rows);
    }

    const dryRun = await dryRunAtFullSize(db.pool, services.baseUrl, token, changes);
    measured.largest.dryRun = dryRun;
    log(`dry run: ${JSON.stringify(dryRun.totals)}, table ${dryRun.untouched ? 'untouched' : 'CHANGED'}`);
    measured.largest.renamed = await run('CSV update-heavy import (every row changed)', renamed);
    measured.largest.lineage = await lineageSize(db.pool, {
      first: measured.sizes.at(-1)!.importer.first!.run.record.id,
      renamed: measured.largest.renamed.run.record.id,
    });
    log('reference writing the lineage as Importer does: first import, every row changed');
    await db.reset();
    const csv = csvs.get(largest) as string;
    measured.largest.reference.firstLineage = await referenceImport(db.pool, csv, { lineage: await benchImport(db.pool) });
    measured.largest.reference.renamedLineage = await referenceImport(db.pool, renamed, { lineage: await benchImport(db.pool) });

    await db.reset();
    measured.xlsx = await run('XLSX first import', xlsx);

    log(`sync: ${syncRows.toLocaleString('en')} rows as batches of 1,000 from 4 concurrent clients, into an empty table`);
    await db.reset();
    const sync = await syncOverHttp(services.baseUrl, token, {
      rows: syncRows,
      batchSize: 1_000,
      clients: 4,
      apiPid,
      workerPid,
    });
    measured.sync = sync;
    log(
      `sync: ${JSON.stringify(sync.totals)} in ${sync.seconds.toFixed(1)} s, p50 ${sync.p50Ms.toFixed(0)} ms, p99 ${sync.p99Ms.toFixed(0)} ms`,
    );
    await Promise.all([services.api, ...services.workers].map((p) => p.stop()));

    log('statements per chunk, in process, at two chunk sizes');
    const limits: ImportLimits = { ...importLimits(loadWorkerConfig({})), maxRows: statementRows * 2 };
    measured.statements = await measureStatements(db.pool, small, [1_000, 5_000], limits);
    measured.chunkSize = Number(services.env.CHUNK_SIZE ?? loadWorkerConfig({}).CHUNK_SIZE);
  } finally {
    await services.close({ keepDb: flags['keep-db'] });
  }
  printReport(measured, machine());
}

/** `--workers 1,2,4`: only the scaling mode. */
async function scalingMode(workerCounts: number[]): Promise<void> {
  const files = await scalingFiles(CACHE);
  const services = await startServices({
    serverUrl,
    redisUrl,
    cacheDir: CACHE,
    maxFileMb: 64,
    maxRows: SCALING_ROWS,
    chunkSize: flags['chunk-size'] ? count('chunk-size') : undefined,
    workers: 1,
  });
  try {
    log('catalogue: 21 categories and 704 subcategories imported through the API');
    await seedCatalogue(services, await services.newToken('bench'), CACHE);
    const runs = await measureScaling(services, files, workerCounts, log);
    printScaling(runs, machine());
  } finally {
    await services.close({ keepDb: flags['keep-db'] });
  }
}

const rate = (rows: number, run: ReferenceRun) => Math.round(rows / run.seconds).toLocaleString('en');

/** Every company of the table links to a subcategory, as the file's NAF codes say. */
async function checkLinked(pool: Pool, rows: number): Promise<void> {
  const { rows: found } = await pool.query<{ companies: number; linked: number }>(
    `SELECT count(*)::int AS "companies", count(*) FILTER (WHERE c."subcategory_id" IS NOT NULL
       AND c."naf_code" = ANY(s."naf_codes"))::int AS "linked"
     FROM "companies" c LEFT JOIN "subcategories" s ON s."id" = c."subcategory_id"`,
  );
  if (found[0]?.companies !== rows || found[0]?.linked !== rows) {
    throw new Error(`expected ${rows} companies, each linked to its NAF code's subcategory: ${JSON.stringify(found[0])}`);
  }
}

/** A checksum of every company, in id order. */
async function tableChecksum(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ sum: string }>(`SELECT md5(string_agg(md5(c::text), '' ORDER BY id)) AS sum FROM companies c`);
  return rows[0]?.sum ?? '';
}

async function dryRunAtFullSize(
  pool: Pool,
  baseUrl: string,
  token: string,
  changes: { file: string; expected: ExpectedTotals },
): Promise<DryRunMeasure> {
  const before = await tableChecksum(pool);
  const result = await importOverHttp(baseUrl, token, changes.file, { profile: 'companies', dryRun: 'true' });
  const untouched = (await tableChecksum(pool)) === before;
  return { seconds: result.seconds, totals: result.record.totals, expected: changes.expected, untouched };
}

main().catch((error: unknown) => {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
