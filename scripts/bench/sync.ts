/**
 * The sync case: companies pushed as JSON batches to `POST /sync/companies` over HTTP by a few concurrent
 * clients, as an automation tool pushes them (n8n sends up to 1,000 items a request). Each batch is timed
 * from its first byte to its answer; the API's and the worker's memory is read around the run.
 */
import { readFile } from 'node:fs/promises';
import type { SyncAnswer } from '@importer/contracts';
import { benchCompanyObject } from './files';
import { peakRssMb, resetPeakRss } from './processes';

export interface SyncRun {
  rows: number;
  batches: number;
  clients: number;
  seconds: number;
  /** Per-batch latency, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  totals: { created: number; updated: number; unchanged: number; skipped: number; failed: number };
  /**
   * The API's resident memory (MB): before the run; the most it held over the first half of the batches
   * (read after each batch: its warm-up, V8 and the allocator growing to what the batches in flight need);
   * the most over the second half; its peak (VmHWM); after the run. Flat: the second half adds nothing.
   */
  api: { beforeMb: number; warmMb: number; laterMb: number; peakMb: number; afterMb: number };
  /** The worker's resident memory before the run and its peak during it (MB): it takes no part in a sync. */
  worker: { beforeMb: number; peakMb: number };
}

/** Resident memory of a process now, in megabytes. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN) / 1024;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/**
 * Pushes `rows` companies (from 0, the same as the CSV's first rows) in batches of `batchSize` from
 * `clients` concurrent clients, each taking the next batch when its previous one is answered. The bodies
 * are built before the clock starts, so the time is the API's.
 */
export async function syncOverHttp(
  baseUrl: string,
  token: string,
  options: { rows: number; batchSize: number; clients: number; apiPid: number; workerPid: number },
): Promise<SyncRun> {
  const bodies: string[] = [];
  for (let first = 0; first < options.rows; first += options.batchSize) {
    const size = Math.min(options.batchSize, options.rows - first);
    bodies.push(JSON.stringify({ rows: Array.from({ length: size }, (_, i) => benchCompanyObject(first + i)) }));
  }
  const totals = { created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  const latencies: number[] = [];
  /** The API's resident memory after each answered batch, in the order they were answered. */
  const samples: number[] = [];
  const beforeMb = await rssMb(options.apiPid);
  const workerBeforeMb = await rssMb(options.workerPid);
  await Promise.all([resetPeakRss(options.apiPid), resetPeakRss(options.workerPid)]);

  let next = 0;
  const client = async () => {
    for (let batch = next++; batch < bodies.length; batch = next++) {
      const started = process.hrtime.bigint();
      const response = await fetch(`${baseUrl}/api/v1/sync/companies`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: bodies[batch],
      });
      const text = await response.text();
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      samples.push(await rssMb(options.apiPid));
      if (response.status !== 200) throw new Error(`sync batch ${batch} refused: ${response.status} ${text}`);
      const answer = JSON.parse(text) as SyncAnswer;
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += answer[key];
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: options.clients }, client));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  latencies.sort((a, b) => a - b);
  const warm = Math.max(1, Math.ceil(samples.length / 2));
  return {
    rows: options.rows,
    batches: bodies.length,
    clients: options.clients,
    seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    totals,
    api: {
      beforeMb,
      warmMb: Math.max(...samples.slice(0, warm)),
      laterMb: Math.max(...samples.slice(warm)),
      peakMb: await peakRssMb(options.apiPid),
      afterMb: await rssMb(options.apiPid),
    },
    worker: { beforeMb: workerBeforeMb, peakMb: await peakRssMb(options.workerPid) },
  };
}
