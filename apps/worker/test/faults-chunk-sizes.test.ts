/**
 * The adaptive chunk size in the compiled worker, as deployed (CHUNK_SIZE unset): a worker killed with
 * SIGKILL mid-import, its import resumed by another from the checkpoint, a row number whatever the sizes
 * were. The resumed attempt starts at the minimum and grows again; the import ends with the rows, row
 * errors and totals of an uninterrupted run.
 */
import { companiesCsv, companiesFingerprint, rowErrorsFingerprint } from './support/fixtures';
import { nextChunksBy, startFaultHarness, type FaultHarness } from './support/fault-harness';
import type { LogLine, WorkerProcess } from './support/processes';

const ROWS = 100_000;
const csv = companiesCsv(ROWS);

let baseline: FaultHarness;
let faulted: FaultHarness;
beforeAll(async () => {
  // An empty CHUNK_SIZE is unset (as in a .env file): the adaptive default, 100 to 20,000 rows.
  [baseline, faulted] = await Promise.all([
    startFaultHarness(),
    startFaultHarness({ workerEnv: { CHUNK_SIZE: '', WORKER_MAX_STALLED: '100' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([baseline?.close(), faulted?.close()]);
});

/** The "import finished" lines of the deliveries that ran the import to its end. */
const finishedLines = (workers: WorkerProcess[], id: string) =>
  workers.flatMap((worker) =>
    worker.logs.filter(
      (line: LogLine) =>
        line.msg === 'import finished' && line.importId === id && (line.outcome as { status: string }).status !== 'skipped',
    ),
  );

it('resumes an import whose worker was killed mid-way exactly, the retry starting again at the smallest chunk', async () => {
  // The uninterrupted reference, chunks of 1,000 (in process: only its result matters here).
  await baseline.startInProcessWorker();
  const reference = await baseline.importFile(csv, 'companies.csv', { profile: 'companies' });
  expect(reference.status).toBe('completed_with_errors');
  expect(reference.totals.rows).toBe(ROWS);

  let workers: WorkerProcess[] = await Promise.all([faulted.startWorker('w1'), faulted.startWorker('w2')]);
  const upload = await faulted.upload(csv, 'companies.csv', { profile: 'companies' });
  const runner = await nextChunksBy(workers, upload.id, 4);
  runner.signal('SIGKILL');
  expect((await runner.exited).signal).toBe('SIGKILL');
  const { c: checkpoint } = (
    await faulted.db.pool.query<{ c: number }>(`SELECT checkpoint_row AS c FROM imports WHERE id = $1`, [upload.id])
  ).rows[0]!;
  expect(checkpoint).toBeGreaterThan(1);
  expect(checkpoint).toBeLessThan(ROWS + 1); // killed before the end of the file
  workers = [...workers.filter((worker) => worker !== runner), await faulted.startWorker('w3')];

  const result = await faulted.waitUntilFinished(upload.id);
  expect({ status: result.status, error: result.error }).toEqual({ status: reference.status, error: null });
  expect(result.totals).toEqual(reference.totals);
  expect(result.attempts).toBeGreaterThanOrEqual(2);
  const [rows, referenceRows] = await Promise.all([companiesFingerprint(faulted.db.pool), companiesFingerprint(baseline.db.pool)]);
  expect(rows).toEqual(referenceRows);
  const [errors, referenceErrors] = await Promise.all([
    rowErrorsFingerprint(faulted.db.pool, upload.id),
    rowErrorsFingerprint(baseline.db.pool, reference.id),
  ]);
  expect(errors).toEqual(referenceErrors);

  // The delivery that finished it logged the sizes it chose: from the minimum (a retried attempt), growing
  // while its chunks were fast, never past the maximum.
  const [finished] = finishedLines(workers, upload.id);
  const chunkRows = finished?.chunkRows as { min: number; median: number; max: number; chunks: number };
  expect(chunkRows.min).toBe(100);
  expect(chunkRows.max).toBeGreaterThan(100);
  expect(chunkRows.max).toBeLessThanOrEqual(20_000);
  expect(chunkRows.median).toBeGreaterThanOrEqual(chunkRows.min);
  expect(chunkRows.chunks).toBeGreaterThan(1);
  console.log(`killed at checkpoint ${checkpoint}; the resumed attempt's chunks: ${JSON.stringify(chunkRows)}`);
  await faulted.stopWorkers();
});
