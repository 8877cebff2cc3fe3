import type { ImportView } from '@importer/db';
import { COMPANY_HEADERS, companyRow, parsePrometheusText, sampleValue, toCsv, waitForJob, type Sample } from '@importer/testing';
import { companiesCsv } from './support/fixtures';
import { nextChunksBy, startFaultHarness, type FaultHarness } from './support/fault-harness';
import type { WorkerProcess } from './support/processes';

/**
 * The worker's own `/metrics` (README, "Metrics"), from the compiled worker as `npm run worker` starts it,
 * with `WORKER_METRICS_PORT=0`: the port it picked is read from its log.
 */
const METRICS_TOKEN = 'worker-metrics-token-0123456789';
const CHUNK_SIZE = 500;

let h: FaultHarness;
let worker: WorkerProcess;
let url: string;
beforeAll(async () => {
  h = await startFaultHarness({
    fastHandover: false,
    chunkSize: CHUNK_SIZE,
    workerEnv: { WORKER_METRICS_PORT: '0', METRICS_TOKEN },
  });
  worker = await h.startWorker('metrics');
  const served = await worker.waitForLog(
    (line) => typeof line.port === 'number' && line.msg.startsWith('metrics served'),
    'metrics served',
  );
  url = `http://127.0.0.1:${served.port as number}/metrics`;
});
afterAll(async () => {
  await h?.close();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

const OUTCOMES = ['created', 'updated', 'unchanged', 'skipped', 'failed'] as const;
const rowsCounted = (samples: Sample[]) =>
  Object.fromEntries(OUTCOMES.map((outcome) => [outcome, sampleValue(samples, 'importer_rows_total', { profile: 'companies', outcome })]));
const finished = (samples: Sample[], status: string) =>
  sampleValue(samples, 'importer_imports_finished_total', { profile: 'companies', status });
const histogramCount = (samples: Sample[], name: string) => sampleValue(samples, `${name}_count`, { profile: 'companies' });

/** Uploads, then waits until the worker is done with the job (it counts the finished import before that). */
async function runImport(content: string, fields: Record<string, string> = {}): Promise<ImportView> {
  const { id } = await h.upload(content, 'companies.csv', { profile: 'companies', ...fields });
  await waitForJob(h.queue, h.events, id, 120_000);
  return h.record(id);
}

describe('the worker’s metrics', () => {
  it('refuses a scrape without the metrics token', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('counts the rows of each committed chunk by outcome, the finished import and its duration', async () => {
    const before = await scrape();
    expect(rowsCounted(before)).toEqual({ created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 });

    // 1,200 rows in chunks of 500; companiesCsv gives data row 996 a bad SIREN and repeats the key of data
    // row 1,007 in 1,008 (the same chunk); here data row 500 also repeats the key of 499, in the next chunk.
    const rows = companiesCsv(1200).split('\n');
    rows[501] = toCsv(COMPANY_HEADERS, [{ ...companyRow(499), nom: 'Société 499 (corrigée)' }]).split('\n')[1]!;
    const result = await runImport(rows.join('\n'));
    expect(result.status).toBe('completed_with_errors');
    expect(result.totals).toEqual({ rows: 1200, created: 1197, updated: 0, unchanged: 0, skipped: 2, failed: 1, warnings: 2 });

    const after = await scrape();
    // Each row once, under the outcome its chunk committed it with: row 499, created by the first chunk and
    // superseded by the second, stays counted as created (the import record moves it to skipped).
    expect(rowsCounted(after)).toEqual({ created: 1198, updated: 0, unchanged: 0, skipped: 1, failed: 1 });
    expect(Object.values(rowsCounted(after)).reduce((sum, n) => sum + n, 0)).toBe(result.totals.rows);
    expect(finished(after, 'completed_with_errors')).toBe(1);
    expect(histogramCount(after, 'importer_chunk_duration_seconds')).toBe(3);
    expect(histogramCount(after, 'importer_import_duration_seconds')).toBe(1);
    const seconds = (Date.parse(result.finishedAt!) - Date.parse(result.startedAt!)) / 1000;
    expect(sampleValue(after, 'importer_import_duration_seconds_sum', { profile: 'companies' })).toBeCloseTo(seconds, 3);
  });

  it('counts updated and unchanged rows of a later import, nothing for a dry run, and a failed import', async () => {
    const before = await scrape();
    const changed = await runImport(toCsv(COMPANY_HEADERS, [companyRow(0), companyRow(1, { nom: 'Renamed' }), companyRow(5000)]));
    expect(changed.totals).toMatchObject({ rows: 3, created: 1, updated: 1, unchanged: 1 });
    const dryRun = await runImport(toCsv(COMPANY_HEADERS, [companyRow(6000), companyRow(6001)]), { dryRun: 'true' });
    expect(dryRun).toMatchObject({ status: 'completed', totals: { rows: 2, created: 2 } });
    const bad = await runImport('nom;ville\nAcme;Paris\n');
    expect(bad.status).toBe('failed');

    const after = await scrape();
    const added = (outcome: (typeof OUTCOMES)[number]) => rowsCounted(after)[outcome]! - rowsCounted(before)[outcome]!;
    expect(OUTCOMES.map(added)).toEqual([1, 1, 1, 0, 0]);
    expect(finished(after, 'completed') - finished(before, 'completed')).toBe(2);
    expect(finished(after, 'failed') - finished(before, 'failed')).toBe(1);
    // The dry run's chunk is timed; the bad file never reached a chunk.
    expect(histogramCount(after, 'importer_chunk_duration_seconds') - histogramCount(before, 'importer_chunk_duration_seconds')).toBe(2);
    expect(histogramCount(after, 'importer_import_duration_seconds') - histogramCount(before, 'importer_import_duration_seconds')).toBe(3);
    // The queue gauges: nothing waits any more.
    expect(sampleValue(after, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(0);
    expect(sampleValue(after, 'importer_queue_oldest_waiting_seconds', { queue: 'imports' })).toBe(0);
  });

  it('counts nothing of a chunk the fence rolls back: after a cancel, the rows counted are the rows committed', async () => {
    const before = await scrape();
    const { id } = await h.upload(companiesCsv(30_000, 100_000), 'big.csv', { profile: 'companies' });
    await nextChunksBy([worker], id, 2);
    expect((await h.http.post(`/api/v1/imports/${id}/cancel`).set(h.auth)).status).toBe(200);
    await waitForJob(h.queue, h.events, id, 120_000);
    const record = await h.record(id);
    expect(record.status).toBe('cancelled');
    expect(record.totals.rows).toBeLessThan(30_000);

    const after = await scrape();
    const counted = OUTCOMES.reduce((sum, outcome) => sum + rowsCounted(after)[outcome]! - rowsCounted(before)[outcome]!, 0);
    expect(counted).toBe(record.totals.rows);
    // The cancel is the API's to count; this worker finished nothing.
    for (const status of ['completed', 'completed_with_errors', 'failed', 'cancelled']) {
      expect(finished(after, status)).toBe(finished(before, status));
    }
  });
});
