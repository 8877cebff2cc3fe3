/**
 * Per-worker concurrency (`WORKER_CONCURRENCY`) and the global rate limit (`IMPORTS_PER_MINUTE`, shared by
 * every worker of the queue through Redis), checked by counting jobs, not by timing them.
 */
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

// A stage per test: the rate limiter's counter lives in Redis under the queue's prefix.
let h: FaultHarness;
beforeEach(async () => {
  h = await startFaultHarness();
});
afterEach(async () => {
  await h?.close();
});

const smallCsv = (offset: number) =>
  toCsv(
    COMPANY_HEADERS,
    Array.from({ length: 20 }, (_, n) => companyRow(offset + n)),
  );

async function uploadMany(count: number, offset: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await h.upload(smallCsv(offset + i * 100), `f${i}.csv`, { profile: 'companies' })).id);
  return ids;
}

/**
 * Follows the queue's events for these jobs (listening before any worker starts, so none is missed):
 * how many run now, the most that ran at once, and a promise per count of `active`/`completed` events.
 */
function follow(ids: string[]) {
  const mine = new Set(ids);
  const state = { running: 0, most: 0, active: 0, completed: 0 };
  const waiters: { event: 'active' | 'completed'; count: number; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (state[waiter.event] >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const onActive = ({ jobId }: { jobId: string }) => {
    if (!mine.has(jobId)) return;
    state.active++;
    state.most = Math.max(state.most, ++state.running);
    check();
  };
  const onCompleted = ({ jobId }: { jobId: string }) => {
    if (!mine.has(jobId)) return;
    state.completed++;
    state.running--;
    check();
  };
  h.events.on('active', onActive);
  h.events.on('completed', onCompleted);
  return {
    state,
    until: (event: 'active' | 'completed', count: number) =>
      new Promise<void>((resolve) => {
        waiters.push({ event, count, resolve });
        check();
      }),
    stop() {
      h.events.off('active', onActive);
      h.events.off('completed', onCompleted);
    },
  };
}

it('runs at most WORKER_CONCURRENCY imports at once in one worker', async () => {
  const ids = await uploadMany(5, 1_000);
  const jobs = follow(ids);
  // Hold every import's row: each job that starts blocks in its claim, so running jobs pile up.
  const lock = await h.db.pool.connect();
  await lock.query('BEGIN');
  await lock.query('SELECT id FROM imports WHERE id = ANY($1::uuid[]) FOR UPDATE', [ids]);
  await h.startInProcessWorker({ options: { concurrency: 2 } });
  try {
    await jobs.until('active', 2);
    expect(await h.queue.getActiveCount()).toBe(2);
    expect(await h.queue.getWaitingCount()).toBe(3);
  } finally {
    await lock.query('COMMIT');
    lock.release();
  }
  await jobs.until('completed', 5);
  jobs.stop();
  expect(jobs.state.most).toBe(2);
  for (const id of ids) expect((await h.record(id)).status).toBe('completed');
});

it('starts at most IMPORTS_PER_MINUTE imports a minute across all workers', async () => {
  const ids = await uploadMany(5, 10_000);
  const jobs = follow(ids);
  // Two workers, each able to run two imports at once, sharing a limit of 2 imports a minute.
  await Promise.all([
    h.startInProcessWorker({ options: { concurrency: 2, importsPerMinute: 2 } }),
    h.startInProcessWorker({ options: { concurrency: 2, importsPerMinute: 2 } }),
  ]);
  await jobs.until('completed', 2);
  jobs.stop();

  expect(await h.queue.getActiveCount()).toBe(0);
  expect(await h.queue.getWaitingCount()).toBe(3); // the limit holds them, not a lack of workers
  expect(await h.queue.getRateLimitTtl()).toBeGreaterThan(0);
  expect(jobs.state.active).toBe(2);
  const statuses = await Promise.all(ids.map(async (id) => (await h.record(id)).status));
  expect(statuses.filter((status) => status === 'completed')).toHaveLength(2);
  expect(statuses.filter((status) => status === 'queued')).toHaveLength(3);
});
