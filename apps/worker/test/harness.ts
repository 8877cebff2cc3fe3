import request from 'supertest';
import type { Page, RowError } from '@importer/contracts';
import type { QueueEvents } from 'bullmq';
import { createApp } from '@importer/api';
import type { ImportLimits } from '@importer/config';
import type { ImportView, Pool } from '@importer/db';
import { importsQueueEvents, runWorker, startTestServices, testAppDeps, TEST_LIMITS, waitForJob } from '@importer/testing';
import { createImportWorker } from '../src/worker';

export interface HarnessOptions {
  chunkSize?: number;
  limits?: Partial<ImportLimits>;
  /** Wraps the pool the worker's engine writes through (to count statements). */
  wrapEnginePool?: (pool: Pool) => Pool;
}

/**
 * The whole path in one process, on the real services: the API app (supertest), a worker on a queue
 * prefix of its own, a database of its own cloned from the migrated template.
 */
export async function startHarness(options: HarnessOptions = {}) {
  const services = await startTestServices();
  const { db, imports, tokens, prefix, redis, queue, storageDir } = services;
  const events: QueueEvents = importsQueueEvents(prefix);
  await events.waitUntilReady();
  const limits = { ...TEST_LIMITS, ...options.limits };

  const deps = testAppDeps(services, { maxFileBytes: limits.maxFileBytes });
  const app = createApp(deps);
  const enginePool = options.wrapEnginePool ? options.wrapEnginePool(db.pool) : db.pool;
  const worker = await runWorker(
    createImportWorker(
      { logger: deps.logger, engine: { pool: enginePool, imports, storageDir, limits, chunkSize: options.chunkSize ?? 500 } },
      { connection: redis, prefix, concurrency: 2, importsPerMinute: 1_000 },
    ),
  );
  const { token } = await tokens.create('test', 'admin');
  const http = request(app);

  return {
    db,
    imports,
    tokens,
    queue,
    http,
    token,
    auth: { Authorization: `Bearer ${token}` },

    /** Uploads a file and returns the API's answer. */
    upload(content: Buffer | string, filename: string, fields: Record<string, string> = {}) {
      const req = http.post('/api/v1/imports').set('Authorization', `Bearer ${token}`);
      for (const [name, value] of Object.entries(fields)) req.field(name, value);
      return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
    },

    /** Uploads a file, waits for its job to finish, and returns the final import record. */
    async importFile(content: Buffer | string, filename: string, fields: Record<string, string> = {}): Promise<ImportView> {
      const response = await this.upload(content, filename, fields);
      if (response.status !== 202) throw new Error(`upload refused: ${response.status} ${JSON.stringify(response.body)}`);
      const id = (response.body as ImportView).id;
      await waitForJob(queue, events, id);
      const record = await http.get(`/api/v1/imports/${id}`).set('Authorization', `Bearer ${token}`);
      return record.body as ImportView;
    },

    async errorsOf(id: string): Promise<RowError[]> {
      const response = await http.get(`/api/v1/imports/${id}/errors?limit=1000`).set('Authorization', `Bearer ${token}`);
      return (response.body as Page<RowError>).items;
    },

    async close() {
      await worker.stop();
      await events.close();
      await services.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
