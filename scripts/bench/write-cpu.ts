/**
 * `npx tsx scripts/bench/write-cpu.ts [rows] [chunk size]`: where a CSV import's chunk write spends CPU, measured
 * in process on a database of its own (cloned from the test template), without the API or the queue. The
 * catalogue (21 categories, 704 subcategories) is imported first, then the benchmark's linked companies file
 * twice: first import, identical re-import. For each: the PostgreSQL backend CPU of the chunk writer's
 * connection by statement kind (BEGIN/COMMIT, COPY, the chunk's statement, the undo statement), read from
 * `/proc/<pid>/schedstat` (nanoseconds, not ticks) around each statement, and the CPU of this process (the
 * worker's part) with the share spent encoding rows for the database (`ChunkEncoding`). Figures per 100,000
 * rows, in CPU seconds: the machine's load does not move them as it moves wall time.
 */
import { readFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DATABASE_URL, importLimits, loadWorkerConfig } from '@importer/config';
import { ChunkEncoding, createImportsRepository, createPrisma, type Pool, type PoolClient } from '@importer/db';
import { runImport } from '@importer/imports';
import { createTestDatabase, recordImport } from '@importer/testing';
import { categoriesCsv, companiesCsv, subcategoriesCsv } from './files';

const CACHE = path.resolve(__dirname, '../../.data/bench');
const rows = Number(process.argv[2] ?? 100_000);
const chunkSize = Number(process.argv[3] ?? 5_000);

async function backendNs(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/schedstat`, 'utf8');
  return Number(text.split(' ')[0]);
}

/** Statement kind → backend CPU seconds and count. */
type Tally = Map<string, { seconds: number; count: number }>;

function kindOf(first: unknown): string {
  if (typeof first === 'string') {
    const text = first.trim();
    return /^(BEGIN|COMMIT|ROLLBACK)$/.test(text)
      ? 'begin/commit'
      : text.startsWith('SET') || text.startsWith('RESET')
        ? 'session'
        : 'other';
  }
  const named = first as { name?: string; text?: string };
  if (named.name)
    return named.name
      .replace(/_companies.*/, '')
      .replace(/^write_chunk.*$/, `write_chunk${named.name.endsWith('_copied') ? '_copied' : ''}`);
  if ((named.text ?? '').startsWith('COPY')) return 'copy';
  return 'other';
}

/** A pool whose clients (the chunk writer's connection) tally their backend's CPU per statement. */
function measuringPool(pool: Pool, tally: Tally): Pool {
  const wrap = async (client: PoolClient): Promise<PoolClient> => {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = (rows[0] as { pid: number }).pid;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    return new Proxy(client, {
      get(target, property) {
        if (property !== 'query') {
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return (...args: unknown[]) => {
          const kind = kindOf(args[0]);
          const before = backendNs(pid);
          const result = query(...args);
          const settle = async () => {
            const start = await before;
            const used = ((await backendNs(pid)) - start) / 1e9;
            const entry = tally.get(kind) ?? { seconds: 0, count: 0 };
            entry.seconds += used;
            entry.count++;
            tally.set(kind, entry);
          };
          if (result instanceof Promise) return (result as Promise<unknown>).then(async (value) => (await settle(), value));
          // A COPY stream: measured once it finishes.
          (result as NodeJS.EventEmitter).on('finish', () => void settle());
          return result;
        };
      },
    });
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'connect') return async () => wrap(await target.connect());
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Wraps ChunkEncoding's methods to add up this thread's CPU inside them. */
function measureEncoding(): { seconds: () => number } {
  let micros = 0;
  const proto = ChunkEncoding.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['add', 'copy', 'staged', 'stagedParams']) {
    const original = proto[method];
    if (!original) throw new Error(`ChunkEncoding has no method ${method}: update write-cpu.ts`);
    proto[method] = function (this: unknown, ...args: unknown[]) {
      const start = process.cpuUsage();
      try {
        return original.apply(this, args);
      } finally {
        const used = process.cpuUsage(start);
        micros += used.user + used.system;
      }
    };
  }
  return { seconds: () => micros / 1e6 };
}

async function main(): Promise<void> {
  process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;
  const config = loadWorkerConfig({ ...process.env, MAX_ROWS: String(Math.max(rows, 1_000_000)) });
  const limits = importLimits(config);
  const db = await createTestDatabase();
  const storageDir = await mkdtemp(path.join(tmpdir(), 'importer-write-cpu-'));
  const prisma = createPrisma(db.pool);
  const imports = createImportsRepository(prisma, db.pool);
  const encoding = measureEncoding();
  try {
    const files: Record<string, string> = {
      'categories.csv': await categoriesCsv(CACHE),
      'subcategories.csv': await subcategoriesCsv(CACHE),
      'companies.csv': await companiesCsv(CACHE, rows),
    };
    for (const [name, file] of Object.entries(files)) await symlink(file, path.join(storageDir, name));
    for (const profile of ['categories', 'subcategories']) {
      const id = await recordImport(db.pool, { profile, fileKey: `${profile}.csv`, createdBy: 'bench' });
      await runImport({ pool: db.pool, imports, storageDir, limits, chunkSize: 1000 }, id);
    }
    for (const label of ['first import', 're-import']) {
      const tally: Tally = new Map();
      const id = await recordImport(db.pool, { fileKey: 'companies.csv', createdBy: 'bench' });
      const encodingBefore = encoding.seconds();
      const cpu = process.cpuUsage();
      const outcome = await runImport({ pool: measuringPool(db.pool, tally), imports, storageDir, limits, chunkSize }, id);
      const used = process.cpuUsage(cpu);
      const per100k = (seconds: number) => ((seconds * 100_000) / rows).toFixed(3);
      const record = await imports.get(id);
      let database = 0;
      for (const { seconds } of tally.values()) database += seconds;
      console.log(
        `${label}: ${JSON.stringify(outcome)} created ${record?.created} updated ${record?.updated} unchanged ${record?.unchanged}`,
      );
      console.log(
        `  worker CPU ${per100k((used.user + used.system) / 1e6)} s/100k rows, of which encoding ${per100k(encoding.seconds() - encodingBefore)}`,
      );
      console.log(`  writer backend CPU ${per100k(database)} s/100k rows`);
      for (const [kind, { seconds, count }] of [...tally].sort((a, b) => b[1].seconds - a[1].seconds)) {
        console.log(`    ${kind.padEnd(22)} ${per100k(seconds)} s/100k (${count} statements)`);
      }
    }
  } finally {
    await prisma.$disconnect();
    if (process.env.KEEP_DB) {
      console.log(`kept database ${db.name}`);
      await db.pool.end();
    } else await db.drop();
    await rm(storageDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
