/**
 * PostgreSQL is the source of truth; Redis only carries the work. On a Redis of the test's own (never the
 * machine's): flushed mid-import, the running import still completes and the queued one the flush lost is
 * re-enqueued by the reconciler; stopped during an upload, the upload still answers 202 and the import
 * completes once Redis is back.
 */
import { writeFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { companiesCsv, companiesFingerprint } from './support/fixtures';
import { nextChunksBy, startFaultHarness, type FaultHarness } from './support/fault-harness';
import { startThrowawayRedis, type ThrowawayRedis } from './support/processes';

let redis: ThrowawayRedis;
let h: FaultHarness;
beforeAll(async () => {
  redis = await startThrowawayRedis();
  h = await startFaultHarness({ redisUrl: redis.url });
});
afterEach(async () => {
  await h?.stopWorkers();
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

const figures = async (entry: object) => {
  if (process.env.FAULT_FIGURES_FILE) await writeFile(process.env.FAULT_FIGURES_FILE, JSON.stringify(entry) + '\n', { flag: 'a' });
};

it('Redis flushed mid-import: the running import completes, and the queued one the flush lost is re-enqueued and completes', async () => {
  const worker = await h.startWorker('w1'); // concurrency 1: the second upload waits behind the first
  const running = await h.upload(companiesCsv(60_000), 'big.csv', { profile: 'companies' });
  const queued = await h.upload(
    toCsv(
      COMPANY_HEADERS,
      Array.from({ length: 50 }, (_, n) => companyRow(900_000 + n)),
    ),
    'small.csv',
    { profile: 'companies' },
  );
  await nextChunksBy([worker], running.id, 5);

  const admin = new Redis(redis.url);
  await admin.flushall();
  const flushedAt = Date.now();
  await admin.quit();

  const [big, small] = [await h.waitUntilFinished(running.id), await h.waitUntilFinished(queued.id)];
  expect(big.status).toBe('completed_with_errors');
  expect(big.totals.rows).toBe(60_000);
  expect(small.status).toBe('completed');
  expect(small.totals).toMatchObject({ rows: 50, created: 50 });
  expect((await companiesFingerprint(h.db.pool)).rows).toBe(big.totals.created + small.totals.created);
  // The flush took the queued import's job (a reconciler pass may already have given it a new one): only
  // the reconciler could have run it.
  expect(worker.logs.some((line) => line.msg.startsWith('reconciler re-enqueued') && (line.added as number) >= 1)).toBe(true);
  await figures({ test: 'redis-flush', recoverMs: Date.now() - flushedAt, rows: big.totals.rows + small.totals.rows });
});

it('Redis stopped during an upload: 202, the import stays queued, and completes once Redis is back', async () => {
  await h.startWorker('w2');
  await redis.stop();
  const response = await h.http
    .post('/api/v1/imports')
    .set(h.auth)
    .field('profile', 'companies')
    .attach(
      'file',
      Buffer.from(
        toCsv(
          COMPANY_HEADERS,
          Array.from({ length: 300 }, (_, n) => companyRow(800_000 + n)),
        ),
      ),
      'companies.csv',
    );
  expect(response.status).toBe(202);
  const upload = response.body as ImportView;
  expect(upload.status).toBe('queued');
  expect((await h.record(upload.id)).status).toBe('queued');

  await redis.start(); // empty: it keeps nothing on disk
  const backAt = Date.now();
  const done = await h.waitUntilFinished(upload.id);
  expect(done.status).toBe('completed');
  expect(done.totals).toMatchObject({ rows: 300, created: 300, failed: 0 });
  await figures({ test: 'redis-stopped', recoverMs: Date.now() - backAt, rows: done.totals.rows });
});
