/**
 * `npm run bench [-- --csv-rows N --xlsx-rows N --sync-rows N --chunk-size N --keep-db]`: Importer's speed against
 * PostgreSQL's own, measured in one run on one machine; the targets are in docs/benchmark.md.
 *
 * 1. Deterministic companies files (default: a 1,000,000-row CSV and a 100,000-row XLSX), cached under
 *    `.data/bench/`.
 * 2. A database of its own (`importer_bench`, recreated and migrated), a queue prefix of its own.
 * 3. The reference: COPY into a staging table + one INSERT … ON CONFLICT, first into an empty table, then
 *    the identical file again (guarded by IS DISTINCT FROM).
 * 4. Importer's full path: the real API and worker processes; the file uploaded over HTTP with a token;
 *    timed from the upload's first byte to the import's final status. First import, identical re-import,
 *    then the XLSX into an empty table. The worker's peak RSS for each.
 * 5. A dry run at full size: a changed copy of the CSV against the imported table must report exactly what
 *    it would create, update, leave unchanged and fail, and leave the table as it was (checksum).
 * 6. Sync: companies pushed as JSON to `POST /sync/companies` (default 100,000 rows, 100 batches of 1,000,
 *    4 concurrent clients) into an empty table; rows/s against the CSV reference, per-batch latency, the API's
 *    and the worker's memory.
 * 7. SQL statements per chunk, in process, at two chunk sizes.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, hashTagged, importLimits, loadWorkerConfig, type ImportLimits } from '@importer/config';
import { createApiTokensRepository, createPrisma, type Pool } from '@importer/db';
import { createCleanupQueue, createImportsQueue, createRedis } from '@importer/queue';
import { createBenchDatabase } from './database';
import { companiesChangesCsv, companiesCsv, companiesRenamedCsv, companiesXlsx, type ExpectedTotals } from './files';
import { importOverHttp, type ImporterRun } from './importer';
import { benchImport, lineageSize } from './lineage';
import { peakRssMb, resetPeakRss, startApi, startWorker, workingPid, type AppProcess } from './processes';
import { referenceImport, type ReferenceRun } from './reference';
import { printReport, type DryRunMeasure, type Measured } from './report';
import { measureStatements } from './statements';
import { syncOverHttp } from './sync';

const ROOT = path.resolve(__dirname, '../..');
const CACHE = path.join(ROOT, '.data/bench');

const { values: flags } = parseArgs({
  options: {
    'csv-rows': { type: 'string', default: '1000000' },
    'xlsx-rows': { type: 'string', default: '100000' },
    'sync-rows': { type: 'string', default: '100000' },
    'chunk-size': { type: 'string' },
    'statement-rows': { type: 'string', default: '20000' },
    'keep-db': { type: 'boolean', default: false },
  },
});
const count = (name: keyof typeof flags) => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const log = (message: string) => console.log(`[bench] ${message}`);

async function main(): Promise<void> {
  const csvRows = count('csv-rows');
  const xlsxRows = count('xlsx-rows');
  const syncRows = count('sync-rows');
  const statementRows = count('statement-rows');
  const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

  log(`files: ${csvRows.toLocaleString('en')}-row CSV, ${xlsxRows.toLocaleString('en')}-row XLSX (cached in .data/bench)`);
  const csv = await companiesCsv(CACHE, csvRows);
  const xlsx = await companiesXlsx(CACHE, xlsxRows);
  const small = await companiesCsv(CACHE, statementRows);
  const changes = await companiesChangesCsv(CACHE, csvRows);
  const renamed = await companiesRenamedCsv(CACHE, csvRows);
  const fileMb = Math.max((await stat(csv)).size, (await stat(xlsx)).size) / 1024 / 1024;

  const db = await createBenchDatabase(serverUrl, 'importer_bench');
  const runId = `bench-${randomUUID()}`;
  // Hash-tagged as the API and the worker take QUEUE_PREFIX, so that the queues emptied below are theirs.
  const prefix = hashTagged(runId);
  const storageDir = path.join(CACHE, `storage-${runId}`);
  await mkdir(storageDir, { recursive: true });
  const processes: AppProcess[] = [];
  const measured: Measured = { csvRows, xlsxRows, importer: {}, reference: {}, statements: new Map() };
  try {
    log('reference: COPY into a staging table + one INSERT … ON CONFLICT');
    await db.reset();
    measured.reference.first = await referenceImport(db.pool, csv);
    measured.reference.again = await referenceImport(db.pool, csv);
    measured.reference.renamed = await referenceImport(db.pool, renamed);
    log(`reference: ${rate(csvRows, measured.reference.first)} and ${rate(csvRows, measured.reference.again)} rows/s`);
    log('reference writing the lineage as Importer does: first import, every row changed');
    await db.reset();
    measured.reference.firstLineage = await referenceImport(db.pool, csv, { lineage: await benchImport(db.pool) });
    measured.reference.renamedLineage = await referenceImport(db.pool, renamed, { lineage: await benchImport(db.pool) });

    const port = await freePort();
    const env: Record<string, string> = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      STORAGE_DIR: storageDir,
      PORT: String(port),
      MAX_FILE_MB: String(Math.ceil(fileMb) + 16),
      MAX_ROWS: String(Math.max(csvRows, xlsxRows)),
      IMPORTS_PER_MINUTE: '1000',
      UPLOADS_PER_HOUR: '1000',
      SYNC_REQUESTS_PER_MINUTE: '100000',
      LOG_LEVEL: 'info',
      ...(flags['chunk-size'] ? { CHUNK_SIZE: String(count('chunk-size')) } : {}),
    };
    log('starting the API and a worker (tsx apps/api/src/main.ts, node apps/worker/dist/main.js)');
    const [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    processes.push(api, worker);
    const workerPid = worker.child.pid as number;
    const prisma = createPrisma(db.pool);
    const { token } = await createApiTokensRepository(prisma).create('bench', 'admin');
    await prisma.$disconnect();
    const baseUrl = `http://127.0.0.1:${port}`;

    const run = async (label: string, file: string): Promise<{ run: ImporterRun; peakMb: number }> => {
      await resetPeakRss(workerPid);
      const result = await importOverHttp(baseUrl, token, file, { profile: 'companies' });
      const peakMb = await peakRssMb(workerPid);
      const { status, totals } = result.record;
      log(
        `${label}: ${status} in ${result.seconds.toFixed(1)} s (upload ${result.uploadSeconds.toFixed(1)} s), ${JSON.stringify(totals)}, worker peak ${peakMb.toFixed(0)} MB`,
      );
      if (status !== 'completed') throw new Error(`${label} ended ${status}: ${JSON.stringify(result.record.error)}`);
      return { run: result, peakMb };
    };
    await db.reset();
    measured.importer.first = await run('CSV first import', csv);
    measured.importer.again = await run('CSV identical re-import', csv);
    const dryRun = await dryRunAtFullSize(db.pool, baseUrl, token, changes);
    measured.dryRun = dryRun;
    log(`dry run: ${JSON.stringify(dryRun.totals)}, table ${dryRun.untouched ? 'untouched' : 'CHANGED'}`);
    measured.importer.renamed = await run('CSV update-heavy import (every row changed)', renamed);
    measured.lineage = await lineageSize(db.pool, {
      first: measured.importer.first.run.record.id,
      renamed: measured.importer.renamed.run.record.id,
    });
    await db.reset();
    measured.importer.xlsx = await run('XLSX first import', xlsx);

    log(`sync: ${syncRows.toLocaleString('en')} rows as batches of 1,000 from 4 concurrent clients, into an empty table`);
    await db.reset();
    const sync = await syncOverHttp(baseUrl, token, {
      rows: syncRows,
      batchSize: 1_000,
      clients: 4,
      apiPid: await workingPid(api.child.pid as number),
      workerPid,
    });
    measured.sync = sync;
    log(
      `sync: ${JSON.stringify(sync.totals)} in ${sync.seconds.toFixed(1)} s, p50 ${sync.p50Ms.toFixed(0)} ms, p99 ${sync.p99Ms.toFixed(0)} ms`,
    );
    await Promise.all(processes.map((p) => p.stop()));

    log('statements per chunk, in process, at two chunk sizes');
    const limits: ImportLimits = { ...importLimits(loadWorkerConfig({})), maxRows: statementRows * 2 };
    measured.statements = await measureStatements(db.pool, small, [1_000, 5_000], limits);
    measured.chunkSize = Number(env.CHUNK_SIZE ?? loadWorkerConfig({}).CHUNK_SIZE);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    const redis = createRedis(redisUrl);
    for (const queue of [createImportsQueue({ connection: redis, prefix }), createCleanupQueue({ connection: redis, prefix })]) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    redis.disconnect();
    await rm(storageDir, { recursive: true, force: true });
    if (flags['keep-db']) await db.pool.end();
    else await db.drop();
  }
  printReport(measured, { load: os.loadavg(), cpus: os.cpus().length });
}

const rate = (rows: number, run: ReferenceRun) => Math.round(rows / run.seconds).toLocaleString('en');

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
