/**
 * The product as the benchmark runs it: a database of its own (`importer_bench_<run id>`, created and migrated,
 * so that runs from several checkouts on one PostgreSQL server never meet), a
 * queue prefix and a file store of its own, the real API and worker processes (`processes.ts`) on a free
 * port, an admin API token; then the catalogue (21 categories, 704 subcategories) imported through the
 * product, as an operator would, so that the companies imported after it link to subcategories.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { hashTagged } from '@importer/config';
import { createApiTokensRepository, createPrisma } from '@importer/db';
import { createCleanupQueue, createImportsQueue, createRedis } from '@importer/queue';
import { createBenchDatabase, type BenchDatabase } from './database';
import { categoriesCsv, subcategoriesCsv } from './files';
import { importOverHttp } from './importer';
import { CATEGORIES, SUBCATEGORIES } from './naf';
import { startApi, startWorker, type AppProcess } from './processes';

export interface BenchServices {
  db: BenchDatabase;
  baseUrl: string;
  api: AppProcess;
  /** The running workers (`setWorkers` replaces them). */
  workers: AppProcess[];
  /** The environment every process gets. */
  env: Record<string, string>;
  /** A new admin API token: each token is a user of its own (`IMPORTS_PER_USER` counts per user). */
  newToken(name: string): Promise<string>;
  /** Stops the running workers and starts `count` new ones. */
  setWorkers(count: number): Promise<AppProcess[]>;
  /** Stops every process, empties the queues, removes the file store and drops the database (unless `keepDb`). */
  close(options: { keepDb: boolean }): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startServices(options: {
  serverUrl: string;
  redisUrl: string;
  /** Where the file store goes (a folder of its own under it). */
  cacheDir: string;
  maxFileMb: number;
  maxRows: number;
  chunkSize?: number;
  workers: number;
}): Promise<BenchServices> {
  const runId = randomUUID();
  const db = await createBenchDatabase(options.serverUrl, `importer_bench_${runId.slice(0, 8)}`);
  // Hash-tagged as the API and the worker take QUEUE_PREFIX, so that the queues emptied at the end are theirs.
  const prefix = hashTagged(`bench-${runId}`);
  const storageDir = path.join(options.cacheDir, `storage-bench-${runId}`);
  await mkdir(storageDir, { recursive: true });
  const port = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    STORAGE_DIR: storageDir,
    PORT: String(port),
    MAX_FILE_MB: String(options.maxFileMb),
    MAX_ROWS: String(options.maxRows),
    IMPORTS_PER_MINUTE: '1000',
    UPLOADS_PER_HOUR: '1000',
    SYNC_REQUESTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'info',
    ...(options.chunkSize ? { CHUNK_SIZE: String(options.chunkSize) } : {}),
  };
  const started = await Promise.allSettled([startApi(env), ...Array.from({ length: options.workers }, () => startWorker(env))]);
  const running = started.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  const api = running.find((p) => p.name === 'api');
  let workers = running.filter((p) => p.name === 'worker');
  const close = async ({ keepDb }: { keepDb: boolean }) => {
    await Promise.all([...(api ? [api] : []), ...workers].map((p) => p.stop()));
    const redis = createRedis(options.redisUrl);
    for (const queue of [createImportsQueue({ connection: redis, prefix }), createCleanupQueue({ connection: redis, prefix })]) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    redis.disconnect();
    await rm(storageDir, { recursive: true, force: true });
    if (keepDb) {
      await db.pool.end();
      console.log(`[bench] database kept: ${db.url}`);
    } else await db.drop();
  };
  const failed = started.find((p) => p.status === 'rejected');
  if (failed) {
    await close({ keepDb: false });
    throw failed.reason;
  }
  return {
    db,
    baseUrl: `http://127.0.0.1:${port}`,
    api: api as AppProcess,
    get workers() {
      return workers;
    },
    env,
    async newToken(name) {
      const prisma = createPrisma(db.pool);
      try {
        return (await createApiTokensRepository(prisma).create(name, 'admin')).token;
      } finally {
        await prisma.$disconnect();
      }
    },
    async setWorkers(count) {
      await Promise.all(workers.map((w) => w.stop()));
      workers = await Promise.all(Array.from({ length: count }, () => startWorker(env)));
      return workers;
    },
    close,
  };
}

/**
 * Imports the 21 categories, then the 704 subcategories, through the product (upload over HTTP, followed to
 * the end), and checks that every one was created and that the 704 NAF codes are distinct.
 */
export async function seedCatalogue(services: BenchServices, token: string, cacheDir: string): Promise<{ seconds: number }> {
  const started = process.hrtime.bigint();
  for (const [profile, file, expected] of [
    ['categories', await categoriesCsv(cacheDir), CATEGORIES.length],
    ['subcategories', await subcategoriesCsv(cacheDir), SUBCATEGORIES.length],
  ] as const) {
    const { record } = await importOverHttp(services.baseUrl, token, file, { profile });
    if (record.status !== 'completed' || record.totals.created !== expected) {
      throw new Error(`seeding ${profile}: ${record.status}, ${JSON.stringify(record.totals)} (expected ${expected} created)`);
    }
  }
  const { rows } = await services.db.pool.query<{ codes: number; subcategories: number }>(
    `SELECT count(DISTINCT code)::int AS "codes", count(DISTINCT s."id")::int AS "subcategories"
     FROM "subcategories" s, unnest(s."naf_codes") AS code`,
  );
  if (rows[0]?.codes !== SUBCATEGORIES.length || rows[0]?.subcategories !== SUBCATEGORIES.length) {
    throw new Error(`seeding: ${JSON.stringify(rows[0])}, expected ${SUBCATEGORIES.length} subcategories with one distinct NAF code each`);
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
