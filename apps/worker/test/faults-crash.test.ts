/**
 * A worker killed with SIGKILL (no chance to clean up) in the middle of a big import: its job is handed
 * to another worker once its lock expires, which resumes after the last committed chunk. However many
 * times that happens, the import ends with the same stored rows, row errors and totals as a run nobody
 * interrupted.
 */
import { writeFile } from 'node:fs/promises';
import { companiesCsv, companiesFingerprint, rowErrorsFingerprint } from './support/fixtures';
import { nextChunksBy, startFaultHarness, type FaultHarness } from './support/fault-harness';
import type { WorkerProcess } from './support/processes';

const ROWS = 200_000;
const KILLS = 3;
const csv = companiesCsv(ROWS);

let baseline: FaultHarness;
let faulted: FaultHarness;
beforeAll(async () => {
  // The kills are the subject here, not the stall limit: a machine so loaded that a worker misses its short
  // test lock stalls the job more often than the kills do, which must not give the import up.
  [baseline, faulted] = await Promise.all([startFaultHarness(), startFaultHarness({ workerEnv: { WORKER_MAX_STALLED: '100' } })]);
});
afterAll(async () => {
  await Promise.all([baseline?.close(), faulted?.close()]);
});

it(`survives ${KILLS} SIGKILLs during one ${ROWS.toLocaleString('en')}-row import with the rows and totals of an uninterrupted run`, async () => {
  // The uninterrupted run, with the same worker configuration.
  await baseline.startWorker('baseline');
  const startedBaseline = Date.now();
  const reference = await baseline.upload(csv, 'companies.csv', { profile: 'companies' });
  const expected = await baseline.waitUntilFinished(reference.id);
  const baselineMs = Date.now() - startedBaseline;
  expect(expected.status).toBe('completed_with_errors');
  expect(expected.totals.rows).toBe(ROWS);
  expect(expected.attempts).toBe(1); // one worker, one job at a time: a lapsed lock could not run it twice
  await baseline.stopWorkers();

  // The same file, its worker killed again and again; two workers, a killed one restarted at once.
  let workers: WorkerProcess[] = await Promise.all([faulted.startWorker('w1'), faulted.startWorker('w2')]);
  const upload = await faulted.upload(csv, 'companies.csv', { profile: 'companies' });
  const recoveries: number[] = [];
  const checkpoints: number[] = [];
  let generation = 2;
  for (let kill = 1; kill <= KILLS; kill++) {
    // Whoever runs it now commits 40 chunks (40,000 rows), then dies mid-import.
    const runner = await nextChunksBy(workers, upload.id, 40);
    runner.signal('SIGKILL');
    const killedAt = Date.now();
    const exit = await runner.exited;
    expect(exit.signal).toBe('SIGKILL');
    checkpoints.push(
      (await faulted.db.pool.query<{ c: number }>(`SELECT checkpoint_row AS c FROM imports WHERE id = $1`, [upload.id])).rows[0]!.c,
    );
    workers = [...workers.filter((worker) => worker !== runner), await faulted.startWorker(`w${++generation}`)];
    // Another worker takes the job over once the dead one's lock expires, and commits again.
    await nextChunksBy(workers, upload.id, 1);
    recoveries.push(Date.now() - killedAt);
  }
  const startedTail = Date.now();
  const result = await faulted.waitUntilFinished(upload.id);

  expect({ status: result.status, error: result.error }).toEqual({ status: expected.status, error: null });
  expect(result.totals).toEqual(expected.totals);
  // One delivery per kill at least; one more for any lock that lapsed while its worker was starved of CPU.
  expect(result.attempts).toBeGreaterThanOrEqual(1 + KILLS);
  expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
  expect(checkpoints[KILLS - 1]).toBeLessThan(ROWS + 1); // the last kill landed before the end of the file
  const [rows, reference_rows] = await Promise.all([companiesFingerprint(faulted.db.pool), companiesFingerprint(baseline.db.pool)]);
  expect(rows).toEqual(reference_rows);
  expect(rows.rows).toBe(expected.totals.created);
  const [errors, referenceErrors] = await Promise.all([
    rowErrorsFingerprint(faulted.db.pool, upload.id),
    rowErrorsFingerprint(baseline.db.pool, reference.id),
  ]);
  expect(errors).toEqual(referenceErrors);

  if (process.env.FAULT_FIGURES_FILE) {
    await writeFile(
      process.env.FAULT_FIGURES_FILE,
      JSON.stringify(
        {
          test: 'sigkill',
          rows: ROWS,
          kills: KILLS,
          checkpoints,
          recoveriesMs: recoveries,
          baselineMs,
          tailMs: Date.now() - startedTail,
          companies: rows.rows,
          rowErrors: errors.rows,
          totals: result.totals,
        },
        null,
        2,
      ),
      { flag: 'a' },
    );
  }
  await faulted.stopWorkers();
});

it('gives an import up as worker_crashed once its workers have died more often than WORKER_MAX_STALLED allows', async () => {
  // A stage of its own. No stall allowed, so a lock long enough that a worker starved of CPU at the start
  // of the import keeps it: the import must fail because its worker was killed, not before.
  const h = await startFaultHarness({ workerEnv: { WORKER_MAX_STALLED: '0', WORKER_LOCK_DURATION_MS: '10000' } });
  try {
    const workers = await Promise.all([h.startWorker('s1'), h.startWorker('s2')]);
    const upload = await h.upload(companiesCsv(60_000), 'poison.csv', { profile: 'companies' });
    const runner = await nextChunksBy(workers, upload.id, 3);
    runner.signal('SIGKILL');
    await runner.exited;

    const result = await h.waitUntilFinished(upload.id);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('worker_crashed');
    expect(result.totals.rows).toBeLessThan(60_000); // kept as far as it got; a retry resumes there
    // BullMQ failed the job itself (whatever reason it gives), before any delivery could run it again.
    expect(await h.queue.getJobState(upload.id)).toBe('failed');
  } finally {
    await h.close();
  }
});
