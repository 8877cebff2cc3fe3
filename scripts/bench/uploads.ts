/**
 * `npm run bench -- --uploads [--upload-rows N] [--upload-rounds N]`: the upload alone (docs/benchmark.md,
 * "Uploads"). The compiled API on a database of its own, no worker: a tiny CSV uploaded 20 times (the fixed
 * cost of an upload: its API CPU and its time from the first byte to the `202`), then the N-row CSV (default
 * 1,000,000, ≈ 200 MB) `rounds` times, each timed and counted in the API's CPU seconds per GB, the process's
 * (its V8 and libuv threads included) and its main thread's. Each stored file is removed after its upload.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cpuSeconds } from './cpu';
import { startImport } from './importer';
import { workingPid } from './processes';
import { startServices } from './services';

const TINY_UPLOADS = 20;
const GB = 2 ** 30;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function benchUploads(options: {
  serverUrl: string;
  redisUrl: string;
  cacheDir: string;
  file: string;
  rounds: number;
  log: (message: string) => void;
}): Promise<void> {
  const { file, log } = options;
  const bytes = (await stat(file)).size;
  const tiny = path.join(options.cacheDir, 'upload-tiny.csv');
  await writeFile(tiny, 'siren,nom\n123456789,Tiny\n');
  const services = await startServices({
    serverUrl: options.serverUrl,
    redisUrl: options.redisUrl,
    cacheDir: options.cacheDir,
    maxFileMb: Math.ceil(bytes / 2 ** 20) + 16,
    maxRows: 1,
    workers: 0,
  });
  try {
    const token = await services.newToken('bench');
    const pid = await workingPid(services.api.child.pid as number);
    const upload = async (what: string) => {
      const started = await startImport(services.baseUrl, token, what, { profile: 'companies' });
      const { rows } = await services.db.pool.query<{ key: string }>('SELECT "file_key" AS "key" FROM "imports" WHERE "id" = $1', [
        started.id,
      ]);
      await rm(path.join(services.env.STORAGE_DIR as string, rows[0]?.key ?? ''), { force: true });
      return started.uploadSeconds;
    };
    // Warm-up: the routes' code compiled and the pools' connections opened, as on a server that has been up a while.
    for (let i = 0; i < 5; i++) await upload(tiny);
    await upload(file);

    const cpuBefore = await cpuSeconds(pid);
    const tinySeconds: number[] = [];
    for (let i = 0; i < TINY_UPLOADS; i++) tinySeconds.push(await upload(tiny));
    const tinyCpuMs = (((await cpuSeconds(pid)) - cpuBefore) * 1000) / TINY_UPLOADS;
    log(`tiny upload: median ${(median(tinySeconds) * 1000).toFixed(1)} ms to the 202, API CPU ${tinyCpuMs.toFixed(1)} ms each`);

    for (let round = 1; round <= options.rounds; round++) {
      const [process0, main0] = [await cpuSeconds(pid), await cpuSeconds(pid, pid)];
      const seconds = await upload(file);
      const [process1, main1] = [await cpuSeconds(pid), await cpuSeconds(pid, pid)];
      log(
        `${(bytes / 2 ** 20).toFixed(0)} MB upload ${round}: ${(bytes / 2 ** 20 / seconds).toFixed(0)} MB/s; API CPU per GB ` +
          `${(((process1 - process0) * GB) / bytes).toFixed(2)} s (main thread ${(((main1 - main0) * GB) / bytes).toFixed(2)} s)`,
      );
    }
  } finally {
    await services.close({ keepDb: false });
  }
}
