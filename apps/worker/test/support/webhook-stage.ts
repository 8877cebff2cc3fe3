/**
 * The stage of a webhooks test: a database and queue prefix of their own, the API in process (supertest),
 * the webhooks worker and the finished-import listener in process, and a real receiver.
 */
import { QueueEvents } from 'bullmq';
import request from 'supertest';
import { createApp } from '@importer/api';
import type { CreatedWebhookEndpoint, WebhookDelivery } from '@importer/contracts';
import { claimImport, finishImport, type Pool } from '@importer/db';
import { createWebhooksQueue, WEBHOOKS_QUEUE } from '@importer/queue';
import { recordImport, redisUrl, runWorker, startTestServices, testAppDeps, testLogger } from '@importer/testing';
import { createWebhookWorker, dispatchFinishedImports } from '../../src/webhooks/worker';
import { startReceiver } from './webhook-receiver';

export const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;

export interface StageOptions {
  allowPrivate?: boolean;
  timeoutMs?: number;
  /** Seconds; default two tiny delays (three attempts). */
  retrySchedule?: number[];
}

export async function startWebhookStage(options: StageOptions = {}) {
  const services = await startTestServices();
  const { db, imports, tokens, prefix, redis } = services;
  const retrySchedule = options.retrySchedule ?? [0.05, 0.05];
  const webhooksQueue = createWebhooksQueue({ connection: redis, prefix });
  const app = createApp(testAppDeps(services, { webhookSecret: WEBHOOK_SECRET, webhookRetrySchedule: retrySchedule, webhooksQueue }));
  const { token } = await tokens.create('webhooks', 'admin');
  const auth = { Authorization: `Bearer ${token}` };
  const http = request(app);
  const receiver = await startReceiver();

  const url = new URL(redisUrl());
  const events = new QueueEvents(WEBHOOKS_QUEUE, {
    prefix,
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
  });
  await events.waitUntilReady();
  // Every job that ended, from now on: waiting on one cannot miss it.
  const ended = new Map<string, 'completed' | 'failed'>();
  const waiters = new Set<() => void>();
  const end = (jobId: string, how: 'completed' | 'failed') => {
    ended.set(jobId, how);
    for (const wake of waiters) wake();
  };
  events.on('completed', ({ jobId }) => end(jobId, 'completed'));
  events.on('failed', ({ jobId }) => end(jobId, 'failed'));
  // Jobs moved to wait for a retry.
  const delayed = new Set<string>();
  events.on('delayed', ({ jobId }) => {
    delayed.add(jobId);
    for (const wake of waiters) wake();
  });
  const waitUntil = (done: () => boolean, what: () => string, timeoutMs: number) =>
    done()
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(what()));
          }, timeoutMs);
          const check = () => {
            if (!done()) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        });

  const logger = testLogger();
  const worker = await runWorker(
    createWebhookWorker(
      {
        pool: db.pool,
        logger,
        secret: WEBHOOK_SECRET,
        retrySchedule,
        timeoutMs: options.timeoutMs ?? 5_000,
        allowPrivate: options.allowPrivate ?? true,
      },
      { connection: redis, prefix, concurrency: 4 },
    ),
  );
  const dispatcher = dispatchFinishedImports({ pool: db.pool, queue: webhooksQueue, retrySchedule, logger });
  await dispatcher.ready;

  const stage = {
    db,
    imports,
    http,
    auth,
    receiver,
    webhooksQueue,
    importsQueue: services.queue,
    /** Registers an endpoint at the receiver's `path`, scripted with `answers`. */
    async endpoint(path: string, ...answers: Parameters<typeof receiver.route>[2][]): Promise<CreatedWebhookEndpoint> {
      const target = receiver.route(path, 'unknown yet', ...answers);
      const response = await http.post('/api/v1/webhooks').set(auth).send({ url: target, description: path });
      if (response.status !== 201) throw new Error(`endpoint refused: ${JSON.stringify(response.body)}`);
      const created = response.body as CreatedWebhookEndpoint;
      receiver.secretOf(path, created.secret);
      return created;
    },
    /** A queued import recorded in the database, finished through the lifecycle as a worker finishes one. */
    async finishedImport(fields: { webhookUrl?: string } = {}, pool: Pool = db.pool): Promise<string> {
      const id = await recordImport(db.pool, { webhookUrl: fields.webhookUrl ?? null });
      await claimImport(db.pool, id);
      if (!(await finishImport(pool, id, 'completed'))) throw new Error('not finished');
      return id;
    },
    async deliveriesOf(importId: string): Promise<WebhookDelivery[]> {
      const response = await http.get(`/api/v1/imports/${importId}/deliveries`).set(auth);
      return (response.body as { items: WebhookDelivery[] }).items;
    },
    /** Resolves once every delivery of the import has its job ended (succeeded, or failed for good). */
    async settled(importId: string, timeoutMs = 60_000): Promise<WebhookDelivery[]> {
      const ids = (
        await db.pool.query<{ id: string }>(`SELECT "id" FROM "webhook_deliveries" WHERE "import_id" = $1`, [importId])
      ).rows.map((row) => row.id);
      await stage.jobsEnded(ids, timeoutMs);
      return stage.deliveriesOf(importId);
    },
    async jobsEnded(jobIds: string[], timeoutMs = 60_000): Promise<void> {
      await waitUntil(
        () => jobIds.every((id) => ended.has(id)),
        () => `jobs not ended: ${jobIds.filter((id) => !ended.has(id)).join(', ')}`,
        timeoutMs,
      );
    },
    /** Resolves once the job has been moved to wait for a retry. */
    async jobDelayed(jobId: string, timeoutMs = 60_000): Promise<void> {
      await waitUntil(
        () => delayed.has(jobId),
        () => `job ${jobId} not delayed`,
        timeoutMs,
      );
    },
    /** Forgets that these jobs ended (before a replay). */
    forget(jobIds: string[]) {
      for (const id of jobIds) ended.delete(id);
    },
    async close() {
      await dispatcher.stop();
      await worker.stop();
      await events.close();
      await webhooksQueue.close();
      await receiver.close();
      await services.close();
    },
  };
  return stage;
}

export type WebhookStage = Awaited<ReturnType<typeof startWebhookStage>>;
