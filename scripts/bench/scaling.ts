/**
 * `npm run bench -- --workers 1,2,4`: how throughput grows with worker processes. For each count, 8
 * companies files of 50,000 rows are uploaded at once, each by an API token of its own (8 users, so that
 * `IMPORTS_PER_USER` does not hold them back), into an empty companies table, with that many compiled
 * worker processes of the default concurrency; timed from the first upload's first byte to the last
 * import's final status. The 8 files hold distinct companies (rows 0–49,999, 50,000–99,999, …), all linked
 * to the seeded subcategories, so the imports never wait on each other's keys.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImportStatus } from '@importer/contracts';
import { FINISHED_STATUSES } from '@importer/db';
import { companiesCsv } from './files';
import { startImport } from './importer';
import { cpuSeconds } from './cpu';
import { peakRssMb, resetPeakRss, workingPid } from './processes';
import type { BenchServices } from './services';

const SCALING_IMPORTS = 8;
export const SCALING_ROWS = 50_000;

export interface ScalingRun {
  workers: number;
  rows: number;
  seconds: number;
  /** The highest peak RSS among the workers, in MB. */
  peakMb: number;
  /** CPU time the workers used during the run, all together, and the API's, in seconds: load does not move them as it moves wall time. */
  workerCpuSeconds: number;
  apiCpuSeconds: number;
}

/** The files of the scaling run (cached like the others). */
export function scalingFiles(cacheDir: string): Promise<string[]> {
  return Promise.all(Array.from({ length: SCALING_IMPORTS }, (_, i) => companiesCsv(cacheDir, SCALING_ROWS, i * SCALING_ROWS)));
}

/** Polls the imports' statuses in one query until every one has finished; checks each created its rows. */
async function allFinished(services: BenchServices, ids: readonly string[]): Promise<void> {
  for (;;) {
    const { rows } = await services.db.pool.query<{ id: string; status: ImportStatus; created: number }>(
      `SELECT "id", "status", "created" FROM "imports" WHERE "id" = ANY($1::uuid[])`,
      [ids],
    );
    if (rows.length === ids.length && rows.every((r) => FINISHED_STATUSES.includes(r.status))) {
      const wrong = rows.filter((r) => r.status !== 'completed' || r.created !== SCALING_ROWS);
      if (wrong.length > 0) throw new Error(`scaling: imports did not each create ${SCALING_ROWS} rows: ${JSON.stringify(wrong)}`);
      return;
    }
    await sleep(100);
  }
}

export async function measureScaling(
  services: BenchServices,
  files: readonly string[],
  workerCounts: readonly number[],
  log: (message: string) => void,
): Promise<ScalingRun[]> {
  const tokens = await Promise.all(files.map((_, i) => services.newToken(`bench-scaling-${i + 1}`)));
  const runs: ScalingRun[] = [];
  for (const count of workerCounts) {
    const workers = await services.setWorkers(count);
    await services.db.reset();
    const pids = workers.map((w) => w.child.pid as number);
    await Promise.all(pids.map(resetPeakRss));
    const apiPid = await workingPid(services.api.child.pid as number);
    const cpuBefore = await Promise.all([apiPid, ...pids].map((pid) => cpuSeconds(pid)));
    const started = process.hrtime.bigint();
    const uploads = await Promise.all(
      files.map((file, i) => startImport(services.baseUrl, tokens[i] as string, file, { profile: 'companies' })),
    );
    await allFinished(
      services,
      uploads.map((u) => u.id),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = (await Promise.all([apiPid, ...pids].map((pid) => cpuSeconds(pid)))).map((after, i) => after - (cpuBefore[i] as number));
    const peakMb = Math.max(...(await Promise.all(pids.map(peakRssMb))));
    const run: ScalingRun = {
      workers: count,
      rows: files.length * SCALING_ROWS,
      seconds,
      peakMb,
      apiCpuSeconds: cpu[0] as number,
      workerCpuSeconds: cpu.slice(1).reduce((sum, x) => sum + x, 0),
    };
    runs.push(run);
    log(
      `${count} worker${count > 1 ? 's' : ''}: ${run.rows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s, ` +
        `CPU ${run.workerCpuSeconds.toFixed(1)} s in the workers and ${run.apiCpuSeconds.toFixed(1)} s in the API, worker peak ${peakMb.toFixed(0)} MB`,
    );
  }
  return runs;
}

export function printScaling(runs: readonly ScalingRun[], machine: { load: number[]; cpus: number }): void {
  const base = runs.find((r) => r.workers === 1) ?? runs[0];
  const baseRate = base ? base.rows / base.seconds : NaN;
  console.log(
    `\n${SCALING_IMPORTS} concurrent imports of ${SCALING_ROWS.toLocaleString('en')} companies each (linked), one API token each, into an empty table`,
  );
  const rows = [
    ['workers', 'seconds', 'rows/s', `ratio to ${base?.workers ?? 1} worker`, 'workers CPU s', 'API CPU s', 'highest worker peak RSS'],
  ];
  for (const r of runs) {
    const rate = r.rows / r.seconds;
    rows.push([
      String(r.workers),
      r.seconds.toFixed(1),
      Math.round(rate).toLocaleString('en'),
      `${(rate / baseRate).toFixed(2)}×`,
      r.workerCpuSeconds.toFixed(1),
      r.apiCpuSeconds.toFixed(1),
      `${r.peakMb.toFixed(0)} MB`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(
    `\nmachine: ${machine.cpus} CPUs, load average ${machine.load.map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min) at the end; ` +
      'the API, the workers and PostgreSQL share them',
  );
}
