/**
 * The nightly cleanup's schedule: every worker process registers it at start-up under one stable id, so
 * two workers make one schedule and each occurrence runs once; `npm run cli -- cleanup run` runs it now.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CleanupRunView, Page } from '@importer/contracts';
import { CLEANUP_SCHEDULER_ID, createCleanupQueue, createRedis, type CleanupQueue } from '@importer/queue';
import { redisUrl } from '@importer/testing';
import { registerSchedules } from '../src/schedules';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';
import { REPO_ROOT } from './support/processes';

let h: FaultHarness;
let redis: ReturnType<typeof createRedis>;
let cleanupQueue: CleanupQueue;
beforeAll(async () => {
  h = await startFaultHarness();
  redis = createRedis(redisUrl());
  cleanupQueue = createCleanupQueue({ connection: redis, prefix: h.prefix });
});
afterAll(async () => {
  await cleanupQueue?.close();
  redis?.disconnect();
  await h?.close();
});

const scheduledRuns = async () =>
  (await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cleanup_runs WHERE trigger = 'schedule'`)).rows[0]?.n;

it('two worker processes register one schedule, and its occurrence runs once', async () => {
  const workers = await Promise.all([
    h.startWorker('a', { CLEANUP_TZ: 'Europe/Paris' }),
    h.startWorker('b', { CLEANUP_TZ: 'Europe/Paris' }),
  ]);
  await Promise.all(workers.map((worker) => worker.waitForLog((line) => line.msg === 'cleanup scheduled', 'cleanup scheduled')));

  const schedulers = await cleanupQueue.getJobSchedulers();
  expect(schedulers).toHaveLength(1);
  expect(schedulers[0]).toMatchObject({ key: CLEANUP_SCHEDULER_ID, pattern: '0 3 * * *', tz: 'Europe/Paris' });
  const [next] = await cleanupQueue.getDelayed();
  expect(await cleanupQueue.getDelayedCount()).toBe(1);

  // Night falls early: the occurrence runs now, on one of the two workers.
  await next!.promote();
  const ran = await Promise.race(
    workers.map((worker) => worker.waitForLog((line) => line.msg === 'cleanup run finished', 'a cleanup run').then(() => worker)),
  );
  expect(await scheduledRuns()).toBe(1);
  const other = workers.find((worker) => worker !== ran)!;
  expect(other.logs.some((line) => line.msg === 'cleanup run finished')).toBe(false);
  // The scheduler queued the next night, still one.
  expect(await cleanupQueue.getDelayedCount()).toBe(1);
  expect(await cleanupQueue.getJobSchedulersCount()).toBe(1);
  await h.stopWorkers();
});

it('a changed CLEANUP_CRON replaces the schedule rather than adding one', async () => {
  const connection = redis.duplicate(); // as a second process would have
  const another = createCleanupQueue({ connection, prefix: h.prefix });
  await Promise.all([
    registerSchedules(cleanupQueue, { cron: '30 2 * * *', tz: 'UTC' }),
    registerSchedules(another, { cron: '30 2 * * *', tz: 'UTC' }),
  ]);
  await another.close();
  connection.disconnect();
  const schedulers = await cleanupQueue.getJobSchedulers();
  expect(schedulers).toHaveLength(1);
  expect(schedulers[0]).toMatchObject({ key: CLEANUP_SCHEDULER_ID, pattern: '30 2 * * *', tz: 'UTC' });
  expect(await cleanupQueue.getDelayedCount()).toBe(1);
});

it('npm run cli -- cleanup run runs it now, records it, and prints the run', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'cleanup', 'run'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: h.db.url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: h.prefix,
      STORAGE_DIR: h.storageDir,
    },
  });
  const run = JSON.parse(stdout) as { id: string; trigger: string; status: string };
  expect(run).toMatchObject({ trigger: 'manual', status: 'completed' });
  const listed = await h.http.get('/api/v1/cleanup-runs').set(h.auth);
  expect((listed.body as Page<CleanupRunView>).items[0]).toMatchObject({ id: run.id, trigger: 'manual', status: 'completed' });
});
