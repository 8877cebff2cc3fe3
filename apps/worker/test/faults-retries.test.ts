/**
 * What ends an attempt decides what happens next: a bad file fails at once; a transient error is retried
 * with backoff from the checkpoint; the time limit fails the import with `timeout`, checkpoint kept; a
 * cancel stops it at the next chunk boundary; a retry resumes from the checkpoint, never double counting.
 */
import { once } from 'node:events';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv, waitForJob } from '@importer/testing';
import type { Worker } from 'bullmq';
import { ImportTimeoutError, startDeadline } from '../src/interruptions';
import { companiesFingerprint } from './support/fixtures';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';
import { gate, hookedPool } from './support/inject';

const CHUNK = 1000;
const csvOf = (rows: number, offset: number) =>
  toCsv(
    COMPANY_HEADERS,
    Array.from({ length: rows }, (_, n) => companyRow(offset + n)),
  );

let h: FaultHarness;
let worker: Worker;
/** Imports this file watches; per import, what its chunk statement should do (fail, or wait at a gate), by chunk number. */
const tracked = new Set<string>();
const faults = new Map<string, (chunk: number) => Promise<void> | void>();
const chunkCalls = new Map<string, number>();
/** Per import: called after each committed chunk with the count so far. */
const onCommit = new Map<string, (chunks: number) => void>();
const commits = new Map<string, number>();
/** Per import: the deadline of its attempts, which the test expires itself. */
const deadlines = new Map<string, AbortController>();

beforeAll(async () => {
  h = await startFaultHarness({ chunkSize: CHUNK, importAttempts: 2 });
  worker = await h.startInProcessWorker({
    options: { concurrency: 4 },
    deps: {
      // The test expires deadlines itself, at a chosen chunk (the real timer: interruptions.test.ts).
      deadline: (_timeoutMs, importId) => ({ signal: deadlineOf(importId).signal, clear: () => undefined }),
    },
    engine: {
      pool: hookedPool(h.db.pool, async (name, values) => {
        // The statement that writes a chunk (with its checkpoint) carries the import's id among its values.
        if (!/chunk/i.test(name)) return;
        const id = values.find((value): value is string => typeof value === 'string' && tracked.has(value));
        if (!id) return;
        const chunk = (chunkCalls.get(id) ?? 0) + 1;
        chunkCalls.set(id, chunk);
        await faults.get(id)?.(chunk);
      }),
      onProgress: (id) => {
        const count = (commits.get(id) ?? 0) + 1;
        commits.set(id, count);
        onCommit.get(id)?.(count);
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const job = (id: string) => h.queue.getJob(id);

function deadlineOf(importId: string): AbortController {
  const controller = deadlines.get(importId) ?? new AbortController();
  deadlines.set(importId, controller);
  return controller;
}

/** Uploads while the worker takes no job, so that the faults for the new import are armed before it runs. */
async function uploadArmed(csv: string, name: string, arm: (id: string) => void): Promise<string> {
  await worker.pause();
  try {
    const { id } = await h.upload(csv, name, { profile: 'companies' });
    tracked.add(id);
    arm(id);
    return id;
  } finally {
    await worker.resume();
  }
}

it('fails a bad file at once, without spending its remaining attempts', async () => {
  const upload = await h.upload('nom,ville\nACME,Paris\n', 'companies.csv', { profile: 'companies' });
  expect(await waitForJob(h.queue, h.events, upload.id)).toBe('failed');
  const failed = await h.record(upload.id);
  expect(failed.status).toBe('failed');
  expect(failed.error?.code).toBe('missing_columns');
  expect(failed.attempts).toBe(1);
  const bull = await job(upload.id);
  expect(bull?.opts.attempts).toBe(2);
  expect(bull?.attemptsMade).toBe(1);
});

it('retries a transient error with exponential backoff from its checkpoint, and fails the import when the last attempt fails', async () => {
  const lost = () => Object.assign(new Error('Connection terminated unexpectedly (injected)'), { code: 'ECONNRESET' });
  const recovers = {
    id: await uploadArmed(csvOf(5_000, 10_000), 'recovers.csv', (id) =>
      faults.set(id, (chunk) => {
        if (chunk === 3) throw lost(); // once: the third chunk of the first attempt
      }),
    ),
  };
  const fails = {
    id: await uploadArmed(csvOf(2_000, 20_000), 'fails.csv', (id) =>
      faults.set(id, () => {
        throw lost(); // always
      }),
    ),
  };
  const bull = await job(recovers.id);
  expect(bull?.opts.backoff).toEqual({ type: 'exponential', delay: 5_000 });

  expect(await waitForJob(h.queue, h.events, recovers.id)).toBe('completed');
  expect(await waitForJob(h.queue, h.events, fails.id)).toBe('failed');

  const done = await h.record(recovers.id);
  expect(done.status).toBe('completed');
  expect(done.attempts).toBe(2);
  expect(done.totals).toEqual({ rows: 5_000, created: 5_000, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
  // Chunks 1-2 committed, 3 failed; the retry resumed at chunk 3, not at the top of the file: 2 + 1 + 3 writes.
  expect(chunkCalls.get(recovers.id)).toBe(6);
  const failed = await h.record(fails.id);
  expect(failed.status).toBe('failed');
  expect(failed.error?.code).toBe('internal_error');
  expect(failed.error?.message).toMatch(/^The import stopped on an internal error \(2 attempts\)/);
  expect(failed.error?.message).not.toContain('injected');
  expect(failed.attempts).toBe(2);
  expect(failed.totals.rows).toBe(0);
});

it('times out at a chunk boundary with code timeout, keeps its checkpoint, and a retry resumes there', async () => {
  const upload = {
    id: await uploadArmed(csvOf(20_000, 100_000), 'slow.csv', (id) =>
      onCommit.set(id, (chunks) => {
        if (chunks === 3) deadlineOf(id).abort(new ImportTimeoutError(30 * 60_000));
      }),
    ),
  };
  expect(await waitForJob(h.queue, h.events, upload.id)).toBe('failed');

  const timedOut = await h.record(upload.id);
  expect(timedOut.status).toBe('failed');
  expect(timedOut.error?.code).toBe('timeout');
  expect(timedOut.totals.rows).toBeGreaterThanOrEqual(3 * CHUNK);
  expect(timedOut.totals.rows).toBeLessThan(20_000);
  const { rows } = await h.db.pool.query<{ checkpoint_row: number }>('SELECT checkpoint_row FROM imports WHERE id = $1', [upload.id]);
  expect(rows[0]?.checkpoint_row).toBe(timedOut.totals.rows + 1);
  expect((await job(upload.id))?.attemptsMade).toBe(1); // no automatic retry: the same limit would expire again

  deadlines.delete(upload.id); // the retry's attempt gets a deadline that does not expire
  const retried = await h.http.post(`/api/v1/imports/${upload.id}/retry`).set(h.auth);
  expect(retried.status).toBe(202);
  expect((retried.body as ImportView).status).toBe('queued');
  expect(await waitForJob(h.queue, h.events, upload.id)).toBe('completed');
  const done = await h.record(upload.id);
  expect(done.status).toBe('completed');
  expect(done.error).toBeNull();
  expect(done.attempts).toBe(2);
  expect(done.totals).toEqual({ rows: 20_000, created: 20_000, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
  expect(chunkCalls.get(upload.id)).toBe(20); // each chunk written once over both attempts
});

it('cancels a running import at its next chunk boundary; a retry resumes from the checkpoint without double counting', async () => {
  await h.db.pool.query('TRUNCATE companies');
  const third = gate();
  const held = gate();
  const upload = {
    id: await uploadArmed(csvOf(10_000, 200_000), 'cancel.csv', (id) =>
      faults.set(id, async (chunk) => {
        if (chunk !== 3) return;
        held.open(); // the third chunk is ready to be written...
        await third.opened; // ...and waits for the cancel before it goes to the database
      }),
    ),
  };
  await held.opened;
  const cancelled = await h.http.post(`/api/v1/imports/${upload.id}/cancel`).set(h.auth);
  expect(cancelled.status).toBe(200);
  expect((cancelled.body as ImportView).status).toBe('cancelled');
  third.open();
  expect(await waitForJob(h.queue, h.events, upload.id)).toBe('completed');
  expect((await job(upload.id))?.returnvalue).toEqual({ status: 'cancelled' });

  const stopped = await h.record(upload.id);
  expect(stopped.status).toBe('cancelled');
  expect(stopped.totals).toMatchObject({ rows: 2 * CHUNK, created: 2 * CHUNK });
  expect((await companiesFingerprint(h.db.pool)).rows).toBe(2 * CHUNK); // the third chunk was refused and rolled back

  const retried = await h.http.post(`/api/v1/imports/${upload.id}/retry`).set(h.auth);
  expect(retried.status).toBe(202);
  expect(await waitForJob(h.queue, h.events, upload.id)).toBe('completed');
  const done = await h.record(upload.id);
  expect(done.status).toBe('completed');
  expect(done.totals).toEqual({ rows: 10_000, created: 10_000, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
  expect((await companiesFingerprint(h.db.pool)).rows).toBe(10_000);
});

it('the per-attempt deadline aborts with ImportTimeoutError, code timeout', async () => {
  const deadline = startDeadline(10);
  await once(deadline.signal, 'abort');
  expect(deadline.signal.reason).toBeInstanceOf(ImportTimeoutError);
  expect(deadline.signal.reason).toMatchObject({ code: 'timeout', timeoutMs: 10 });
  deadline.clear();
});
