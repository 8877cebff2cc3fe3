/**
 * The reconciler gives a new job to an import PostgreSQL says needs work whose job has finished, but not
 * to one whose job finished only just before it looked: that import may be about to finish, as one whose
 * job BullMQ failed for stalling too often is, a moment later, when a worker records `worker_crashed`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import pino from 'pino';
import { finishImport } from '@importer/db';
import { enqueueImport, IMPORTS_QUEUE } from '@importer/queue';
import { recordImport, redisUrl, startTestServices, type TestServices } from '@importer/testing';
import { createReconciler } from '../src/reconciler';

let services: TestServices;
/** Takes jobs by hand (no processor): the test decides when each one fails. */
let hand: Worker;
beforeAll(async () => {
  services = await startTestServices();
  const url = new URL(redisUrl());
  hand = new Worker(IMPORTS_QUEUE, null, {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
    prefix: services.prefix,
  });
  await hand.waitUntilReady();
});
afterAll(async () => {
  await hand?.close();
  await services?.close();
});

const reconciler = (intervalMs: number) =>
  createReconciler({ pool: services.db.pool, queue: services.queue, logger: pino({ level: 'silent' }), importAttempts: 2, intervalMs });

/** An import left `processing` an hour ago (its worker gone), whose only job has just failed. */
async function importWithFailedJob(): Promise<{ id: string; finishedOn: number }> {
  const id = await recordImport(services.db.pool);
  await services.db.pool.query(`UPDATE imports SET status = 'processing', updated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
  await enqueueImport(services.queue, id, 1);
  const token = randomUUID();
  const job = await hand.getNextJob(token);
  expect(job?.id).toBe(id);
  await job.moveToFailed(new Error('job stalled more than allowable limit'), token);
  const failed = await services.queue.getJob(id);
  expect(await failed?.getState()).toBe('failed');
  return { id, finishedOn: failed!.finishedOn! };
}

it('leaves a job that failed just before the pass looked, and the import once its worker recorded the failure', async () => {
  const { id } = await importWithFailedJob();
  const slow = reconciler(60_000); // a grace of 10 s

  expect(await slow.reconcileOnce()).toEqual({ checked: 1, added: 0, replaced: 0 });
  const job = await services.queue.getJob(id);
  expect(await job?.getState()).toBe('failed');
  expect(job?.failedReason).toBe('job stalled more than allowable limit');

  await finishImport(services.db.pool, id, 'failed', { code: 'worker_crashed', message: 'gave up' });
  expect(await slow.reconcileOnce()).toEqual({ checked: 0, added: 0, replaced: 0 });
  expect(await services.queue.getJobState(id)).toBe('failed');
});

it('replaces a job that finished a grace period before the pass, while its import still needs work', async () => {
  const { id, finishedOn } = await importWithFailedJob();
  const fast = reconciler(100); // a grace of 100 ms
  await sleep(Math.max(0, finishedOn + 101 - Date.now())); // the grace is a time: let it pass

  expect(await fast.reconcileOnce()).toEqual({ checked: 1, added: 0, replaced: 1 });
  const job = await services.queue.getJob(id);
  expect(await job?.getState()).toBe('waiting');
  expect(job?.attemptsMade).toBe(0);
  expect(job?.failedReason).toBeFalsy();
});
