/**
 * The stage of a fault-injection test: a database and a queue prefix of its own, the API in process
 * (supertest) for uploads, and real worker processes started (and killed) by the test.
 */
import request from 'supertest';
import type { Page, RowError } from '@importer/contracts';
import { createApp } from '@importer/api';
import type { ImportView } from '@importer/db';
import type { FileStore } from '@importer/storage';
import {
  importsQueueEvents,
  redisUrl,
  runWorker,
  startTestServices,
  testAppDeps,
  TEST_LIMITS,
  testLogger,
  type RunningWorker,
  type TestRedisCluster,
  pollUntil,
} from '@importer/testing';
import { createRedis } from '@importer/queue';
import type { Worker } from 'bullmq';
import { createImportWorker, type ImportWorkerOptions } from '../../src/worker';
import type { ImportFileDeps } from '../../src/processors/import-file';
import { spawnWorker, type WorkerProcess } from './processes';

export interface FaultHarnessOptions {
  /** Redis of the test (a throwaway server for Redis faults); default: the machine's, with a unique prefix. */
  redisUrl?: string;
  /** A Redis Cluster instead (`startTestRedisCluster`): the API's and the test's connections, and every worker's environment. */
  redisCluster?: Pick<TestRedisCluster, 'settings' | 'env'>;
  chunkSize?: number;
  importAttempts?: number;
  /** Extra environment of every worker process. */
  workerEnv?: Record<string, string>;
  /** The API's upload limit (MAX_FILE_MB); default 100 MiB, room for the large files faults are staged with. */
  maxFileBytes?: number;
  /** The API's file store; default: the `fs` driver on the test's folder. Give workers the same (`workerEnv`). */
  fileStore?: FileStore;
  /**
   * Short job locks, stalled checks and reconciles, so that a killed worker's import moves on within
   * seconds (default). False: the configuration's defaults, as deployed, for tests that kill nothing and
   * must not see a busy machine's long pause taken for a dead worker.
   */
  fastHandover?: boolean;
  /** More dependencies of the API app (e.g. `webhookSecret`). */
  app?: Record<string, unknown>;
}

/**
 * The test timeout of every file that stages faults: a backstop only. Each wait of a fault test has a
 * deadline of its own that names what did not happen; their sum, on a machine so loaded that these
 * imports run several times slower than on an idle one, is well past jest's default.
 */
jest.setTimeout(600_000);

/** The test limits, with room for the large files that faults are staged with. */
const LIMITS = { ...TEST_LIMITS, maxFileBytes: 100 * 1024 * 1024 };

/** Import statuses that end an import. */
const FINISHED = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

export async function startFaultHarness(options: FaultHarnessOptions = {}) {
  const url = options.redisUrl ?? redisUrl();
  const cluster = options.redisCluster;
  const services = await startTestServices({ redis: cluster?.settings ?? url, failFast: true, storagePrefix: 'importer-faults-' });
  const { db, imports, tokens, prefix, queue, cleanupQueue, storageDir } = services;
  queue.on('error', () => undefined);
  cleanupQueue.on('error', () => undefined);
  const importAttempts = options.importAttempts ?? 3;
  const app = createApp(
    testAppDeps(services, {
      maxFileBytes: options.maxFileBytes ?? LIMITS.maxFileBytes,
      importAttempts,
      fileStore: options.fileStore,
      ...options.app,
    }),
  );
  const { token } = await tokens.create('faults', 'admin');
  const http = request(app);
  const workers: WorkerProcess[] = [];
  const inProcess: RunningWorker[] = [];
  // Queue events block on their connection: a Cluster's must not fail fast (BullMQ duplicates it).
  const eventsConnection = cluster ? createRedis(cluster.settings) : undefined;
  const events = importsQueueEvents(prefix, eventsConnection);
  await events.waitUntilReady();
  const chunkSize = options.chunkSize ?? 1000;

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATABASE_URL: db.url,
    REDIS_URL: url,
    QUEUE_PREFIX: prefix,
    STORAGE_DIR: storageDir,
    CHUNK_SIZE: String(chunkSize),
    IMPORT_ATTEMPTS: String(importAttempts),
    WORKER_CONCURRENCY: '1',
    IMPORTS_PER_MINUTE: '1000',
    // A killed worker's job is handed over after its lock expires and a stalled check runs.
    ...(options.fastHandover === false
      ? {}
      : { WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000', RECONCILE_INTERVAL_MS: '1000' }),
    ...cluster?.env,
    ...options.workerEnv,
    ...extra,
  });

  return {
    db,
    imports,
    queue,
    events,
    prefix,
    storageDir,
    http,
    auth: { Authorization: `Bearer ${token}` },

    /** Starts a worker process and waits until it is taking jobs. */
    async startWorker(name: string, extra: Record<string, string> = {}): Promise<WorkerProcess> {
      const worker = spawnWorker(name, env(extra));
      workers.push(worker);
      await worker.waitForLog((line) => line.msg === 'worker started', 'worker started', 60_000);
      return worker;
    },

    /**
     * Starts a worker in this process (for tests that count or inject rather than kill): the same factory
     * the worker process uses, with deps and options the test may override.
     */
    async startInProcessWorker(
      overrides: {
        deps?: Partial<Omit<ImportFileDeps, 'engine'>>;
        engine?: Partial<ImportFileDeps['engine']>;
        options?: Partial<ImportWorkerOptions>;
      } = {},
    ): Promise<Worker> {
      const worker = createImportWorker(
        {
          logger: testLogger(),
          ...overrides.deps,
          engine: {
            pool: db.pool,
            imports,
            storageDir,
            limits: LIMITS,
            chunkSize,
            ...overrides.engine,
          },
        },
        {
          connection: { host: new URL(url).hostname, port: Number(new URL(url).port || 6379), maxRetriesPerRequest: null },
          prefix,
          concurrency: 1,
          importsPerMinute: 1000,
          ...overrides.options,
        },
      );
      const running = await runWorker(worker);
      inProcess.push(running);
      return worker;
    },

    /** Uploads through the API; the answer must be 202. */
    async upload(content: Buffer | string, filename: string, fields: Record<string, string> = {}): Promise<ImportView> {
      const req = http.post('/api/v1/imports').set('Authorization', `Bearer ${token}`);
      for (const [name, value] of Object.entries(fields)) req.field(name, value);
      const response = await req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
      if (response.status !== 202) throw new Error(`upload refused: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body as ImportView;
    },

    /** Uploads through the API and waits until the import is finished (see `waitUntilFinished`). */
    async importFile(content: Buffer | string, filename: string, fields: Record<string, string> = {}): Promise<ImportView> {
      return this.waitUntilFinished((await this.upload(content, filename, fields)).id);
    },

    /** The import's rejected rows as the API serves them (`GET /imports/:id/errors.csv`), as text. */
    async errorsCsv(id: string): Promise<string> {
      const response = await http
        .get(`/api/v1/imports/${id}/errors.csv`)
        .set('Authorization', `Bearer ${token}`)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
        });
      if (response.status !== 200) throw new Error(`errors.csv refused: ${response.status}`);
      return response.body as string;
    },

    /** The import's row errors and warnings, as the API lists them (the first 1,000). */
    async errorsOf(id: string): Promise<RowError[]> {
      const response = await http.get(`/api/v1/imports/${id}/errors?limit=1000`).set('Authorization', `Bearer ${token}`);
      return (response.body as Page<RowError>).items;
    },

    async record(id: string): Promise<ImportView> {
      const view = await imports.find(id);
      if (!view) throw new Error(`no import ${id}`);
      return view;
    },

    /**
     * Waits until the import is finished in PostgreSQL, the source of truth. Polled (with a deadline):
     * while Redis is flushed or down, queue events cannot be relied upon, and PostgreSQL has no event.
     */
    async waitUntilFinished(id: string, timeoutMs = 120_000): Promise<ImportView> {
      const view = await pollUntil(
        () => imports.find(id),
        (found) => found !== null && FINISHED.has(found.status),
        `import ${id} finished`,
        { timeoutMs },
      );
      return view!;
    },

    /** Every worker started by this harness that is still running is killed (SIGKILL) and awaited. */
    async stopWorkers() {
      for (const worker of workers) worker.signal('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
    },

    async close() {
      await this.stopWorkers();
      await Promise.all(inProcess.map((worker) => worker.stop(true)));
      await events.close();
      eventsConnection?.disconnect();
      // Leave nothing under this test's prefix (only its own keys: obliterate works on one queue).
      await Promise.all([queue.obliterate({ force: true }), cleanupQueue.obliterate({ force: true })]).catch(() => undefined);
      await services.close();
    },
  };
}

export type FaultHarness = Awaited<ReturnType<typeof startFaultHarness>>;

/** A chunk of this import was committed by this worker (its debug log, written after each COMMIT). */
export const chunkCommitted = (importId: string) => (line: { msg: string; importId?: string }) =>
  line.msg === 'chunk committed' && line.importId === importId;

/** A revert chunk of this import was committed by this worker (its debug log). */
export const revertChunkCommitted = (importId: string) => (line: { msg: string; importId?: string }) =>
  line.msg === 'revert chunk committed' && line.importId === importId;

/**
 * Resolves with the worker that next commits `chunks` chunks of the import (or, with `revertChunkCommitted`,
 * of its revert), whichever of `workers` runs it (at most one at a time does). Listens to the workers' logs;
 * rejects after the deadline.
 */
export function nextChunksBy(
  workers: readonly WorkerProcess[],
  importId: string,
  chunks: number,
  timeoutMs = 60_000,
  committed = chunkCommitted,
): Promise<WorkerProcess> {
  const match = committed(importId);
  return new Promise((resolve, reject) => {
    const counts = new Map<WorkerProcess, number>();
    const stops = workers.map((worker) =>
      worker.onLine((line) => {
        if (!match(line)) return;
        const count = (counts.get(worker) ?? 0) + 1;
        counts.set(worker, count);
        if (count >= chunks) finish(() => resolve(worker));
      }),
    );
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no worker committed ${chunks} chunks of ${importId} within ${timeoutMs} ms`))),
      timeoutMs,
    ).unref();
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      for (const stop of stops) stop();
      settle();
    };
  });
}
