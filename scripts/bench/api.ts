/**
 * `npm run bench -- --api [--api-seconds N]`: the read path at the machine's limit (docs/benchmark.md, "The read
 * path"). The compiled API alone, on a database of its own seeded with 200 finished imports (every fifth a
 * re-submission of the one before it, so that records carry re-submissions); then autocannon, in this
 * process, against `GET /imports/:id`, `GET /imports?limit=20`, `GET /stats` and `/healthz`, at 4 and 32
 * connections, each for `seconds`; and `GET /imports/:id` once more as a polling client that sends the ETag
 * it holds (`304`). Requests send an API token and `Accept-Encoding: gzip`, as HTTP clients do.
 * `--api-profile DIR`: the API writes a CPU profile of the run into DIR (open it in Chrome's DevTools).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import autocannon from 'autocannon';
import { claimImport, createApiTokensRepository, createPrisma, finishImport, insertImport, type Pool } from '@importer/db';
import { createBenchDatabase } from './database';
import { startApi } from './processes';

const SEEDED = 200;
const HEADERS = ['siren', 'siret', 'nom', 'nom_commercial', 'adresse', 'code_postal', 'ville_nom', 'naf_code', 'telephone'];

interface Case {
  label: string;
  path: string;
  connections: number;
  /** The status class every answer must have. */
  expect: '2xx' | '3xx';
  /** Sent with each request, beside the token. */
  headers?: Record<string, string>;
  target?: { reqPerSec?: number; p99Ms?: number };
}

interface Result {
  case: Case;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Bytes per answer, headers included. */
  bytes: number;
  /** The API process's CPU time per request (user + system), in ms: what the machine's load changes least. */
  cpuMs: number;
}

/** CPU time a process has used (user + system), in ms, from `/proc/<pid>/stat`. */
async function cpuTimeMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Finished imports with totals, a file's dialect and re-submissions. Returns their ids, oldest first. */
async function seedImports(pool: Pool, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const parentId = i % 5 === 4 ? ids[i - 1] : null;
    await insertImport(pool, {
      id,
      source: 'file',
      profile: 'companies',
      options: {},
      fileName: `companies-${i}.csv`,
      fileSize: 1_048_576 + i,
      fileSha256: '0'.repeat(64),
      fileKey: `${id}.csv`,
      fileFormat: 'csv',
      headers: HEADERS,
      createdBy: 'bench',
      parentId,
    });
    await claimImport(pool, id);
    await pool.query(
      `UPDATE "imports" SET "rows_total" = 10000, "created" = 9000, "updated" = 900, "unchanged" = 50, "failed" = 50,
         "warnings" = 12, "file_encoding" = 'utf-8', "file_delimiter" = ',' WHERE "id" = $1`,
      [id],
    );
    await finishImport(pool, id, 'completed_with_errors');
    ids.push(id);
  }
  return ids;
}

async function measure(baseUrl: string, token: string, c: Case, seconds: number, apiPid: number): Promise<Result> {
  const cpuBefore = await cpuTimeMs(apiPid);
  const result = await autocannon({
    url: `${baseUrl}${c.path}`,
    connections: c.connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip', ...c.headers },
  });
  const answered = result[c.expect];
  if (result.errors > 0 || result.timeouts > 0 || answered !== result.requests.total) {
    throw new Error(`${c.label}: ${result.requests.total} requests, ${answered} ${c.expect}, ${result.errors} errors`);
  }
  return {
    case: c,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    bytes: result.throughput.total / Math.max(1, result.requests.total),
    cpuMs: ((await cpuTimeMs(apiPid)) - cpuBefore) / Math.max(1, result.requests.total),
  };
}

function met(r: Result): string {
  const t = r.case.target;
  if (!t) return '';
  const ok = (t.reqPerSec === undefined || r.reqPerSec >= t.reqPerSec) && (t.p99Ms === undefined || r.p99Ms <= t.p99Ms);
  const wanted = [t.reqPerSec && `≥ ${t.reqPerSec.toLocaleString('en')} req/s`, t.p99Ms && `p99 ≤ ${t.p99Ms} ms`].filter(Boolean);
  return `${wanted.join(', ')}: ${ok ? 'met' : 'NOT met'}`;
}

function printApiReport(results: Result[]): void {
  const rows = [['request', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'bytes/answer', 'API CPU ms/req', 'target']];
  for (const r of results) {
    rows.push([
      r.case.label,
      String(r.case.connections),
      Math.round(r.reqPerSec).toLocaleString('en'),
      r.p50Ms.toFixed(0),
      r.p99Ms.toFixed(0),
      Math.round(r.bytes).toLocaleString('en'),
      r.cpuMs.toFixed(2),
      met(r),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const load = os.loadavg().map((n) => n.toFixed(2));
  console.log(`\nmachine: ${os.cpus().length} CPUs, load average ${load.join(' ')} (1, 5, 15 min) at the end`);
}

export async function benchApi(options: {
  serverUrl: string;
  redisUrl: string;
  port: number;
  storageDir: string;
  seconds: number;
  /** Where the API writes a CPU profile of the whole run (`node --cpu-prof`), when given. */
  profileDir?: string;
  log: (message: string) => void;
}): Promise<void> {
  const { log, seconds } = options;
  const db = await createBenchDatabase(options.serverUrl, 'importer_bench_api');
  const prefix = `bench-api-${randomUUID()}`;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    log(`seeding ${SEEDED} finished imports`);
    const ids = await seedImports(db.pool, SEEDED);
    await db.pool.query('VACUUM ANALYZE');
    const prisma = createPrisma(db.pool);
    const { token } = await createApiTokensRepository(prisma).create('bench', 'viewer');
    await prisma.$disconnect();

    log('starting the compiled API (node apps/api/dist/main.js)');
    const started = await startApi(
      {
        DATABASE_URL: db.url,
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: prefix,
        STORAGE_DIR: options.storageDir,
        PORT: String(options.port),
        LOG_LEVEL: 'info',
      },
      options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [],
    );
    api = started;
    const baseUrl = `http://127.0.0.1:${options.port}`;
    const one = `/api/v1/imports/${ids.at(-1)}`;
    const etag = (await fetch(`${baseUrl}${one}`, { headers: { authorization: `Bearer ${token}` } })).headers.get('etag');

    const cases: Case[] = [];
    for (const connections of [4, 32]) {
      cases.push(
        {
          label: 'GET /imports/:id',
          path: one,
          connections,
          expect: '2xx',
          target: connections === 4 ? { p99Ms: 20 } : { reqPerSec: 2_000, p99Ms: 50 },
        },
        { label: 'GET /imports?limit=20', path: '/api/v1/imports?limit=20', connections, expect: '2xx', target: { reqPerSec: 1_000 } },
        { label: 'GET /stats', path: '/api/v1/stats', connections, expect: '2xx' },
        { label: 'GET /healthz', path: '/healthz', connections, expect: '2xx' },
      );
    }
    if (etag) {
      cases.push({
        label: 'GET /imports/:id, If-None-Match (304)',
        path: one,
        connections: 32,
        expect: '3xx',
        headers: { 'if-none-match': etag },
      });
    } else {
      log('GET /imports/:id sends no ETag: the 304 case is left out');
    }

    const results: Result[] = [];
    for (const c of cases) {
      log(`${c.label} at ${c.connections} connections for ${seconds} s`);
      results.push(await measure(baseUrl, token, c, seconds, started.child.pid as number));
    }
    printApiReport(results);
  } finally {
    await api?.stop();
    await db.drop();
  }
}
