/**
 * PostgreSQL drops the import's connections in the middle of a chunk (`pg_terminate_backend`, as a
 * restart or failover would): the chunk's transaction rolls back, the attempt fails as transient, and the
 * retry (after its backoff) resumes from the last committed chunk. Only backends of this test's own
 * database are terminated.
 */
import { writeFile } from 'node:fs/promises';
import { companiesCsv, companiesFingerprint, rowErrorsFingerprint } from './support/fixtures';
import { nextChunksBy, startFaultHarness, type FaultHarness } from './support/fault-harness';
import { pollUntil } from '@importer/testing';

const ROWS = 60_000;

let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness();
});
afterAll(async () => {
  await h?.close();
});

/**
 * Waits until one of the worker's connections to this database is inside a transaction that has written
 * (a chunk between its upsert and its commit). Polled: PostgreSQL has no event for it.
 */
async function workerTransactionOpen(database: string, timeoutMs = 30_000): Promise<void> {
  const open = async () =>
    (
      await h.db.pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'importer-worker' AND backend_xid IS NOT NULL`,
        [database],
      )
    ).rowCount;
  await pollUntil(open, Boolean, 'an open transaction of the worker', { timeoutMs, everyMs: 0 });
}

it("PostgreSQL terminates the import's connections mid-chunk: the import is retried from its checkpoint and completes", async () => {
  const worker = await h.startWorker('w1');
  const upload = await h.upload(companiesCsv(ROWS), 'companies.csv', { profile: 'companies' });
  await nextChunksBy([worker], upload.id, 5);

  await workerTransactionOpen(h.db.name);
  // Two steps, never one: in a single statement the planner may call pg_terminate_backend() on every
  // backend of the server before it filters on the database.
  const { rows: targets } = await h.db.pool.query<{ pid: number; datname: string }>(
    `SELECT pid, datname FROM pg_stat_activity WHERE datname = $1 AND application_name = 'importer-worker'`,
    [h.db.name],
  );
  const pids = targets.filter((target) => target.datname === h.db.name).map((target) => target.pid);
  const { rows: terminated } = await h.db.pool.query<{ done: boolean }>(
    `SELECT pg_terminate_backend(pid) AS done FROM unnest($1::int[]) AS pid`,
    [pids],
  );
  const terminatedAt = Date.now();
  expect(terminated.filter((row) => row.done).length).toBeGreaterThan(0);

  const result = await h.waitUntilFinished(upload.id);
  expect(worker.isRunning()).toBe(true); // the lost connections failed an attempt, not the process
  expect(worker.logs.some((line) => line.msg === 'import attempt failed; will retry' && line.importId === upload.id)).toBe(true);
  expect(result.status).toBe('completed_with_errors');
  expect(result.attempts).toBe(2);
  const t = result.totals;
  expect(t.rows).toBe(ROWS);
  expect(t.created + t.updated + t.unchanged + t.skipped + t.failed).toBe(ROWS);
  expect((await companiesFingerprint(h.db.pool)).rows).toBe(t.created);
  expect((await rowErrorsFingerprint(h.db.pool, upload.id)).rows).toBe(t.failed + t.warnings);

  if (process.env.FAULT_FIGURES_FILE) {
    await writeFile(
      process.env.FAULT_FIGURES_FILE,
      JSON.stringify({
        test: 'pg-terminate',
        backends: terminated.filter((row) => row.done).length,
        recoverMs: Date.now() - terminatedAt,
        rows: t.rows,
      }) + '\n',
      { flag: 'a' },
    );
  }
});
