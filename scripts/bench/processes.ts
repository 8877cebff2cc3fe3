/**
 * The real API and worker processes, started as `npm run api` / `npm run worker` start them (both compiled:
 * `apps/api/scripts/command.cjs`, and the worker with its node flags: `apps/worker/scripts/command.cjs`), on the benchmark's
 * database, queue prefix, storage and port. The worker's peak memory is read from its node process:
 * `/proc/<pid>/status` VmHWM, reset before each measurement through `/proc/<pid>/clear_refs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { API_COMMAND } from '../../apps/api/scripts/command.cjs';
import { WORKER_COMMAND } from '../../apps/worker/scripts/command.cjs';

const ROOT = path.resolve(__dirname, '../..');

/** Rows per chunk of one import, as the worker logs them when the import finishes. */
export interface ChunkRows {
  min: number;
  median: number;
  max: number;
  chunks: number;
}

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Last lines of its output, for the error message when it dies. */
  tail: string[];
  /**
   * The next `import finished` line (pino JSON) this process logs for an import, with its `chunkRows` when
   * the worker logs them (`null` otherwise). Resolves at once for a line already logged.
   */
  importFinished(importId: string): Promise<{ chunkRows: ChunkRows | null }>;
  stop(): Promise<void>;
}

/** An `import finished` log line: its import and its chunk sizes, if any. */
function finishedLine(line: string): { importId: string; chunkRows: ChunkRows | null } | null {
  if (!line.startsWith('{') || !line.includes('"import finished"')) return null;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; importId?: unknown; chunkRows?: unknown; outcome?: { chunkRows?: unknown } };
    if (entry.msg !== 'import finished' || typeof entry.importId !== 'string') return null;
    const rows = entry.chunkRows ?? entry.outcome?.chunkRows;
    const isChunkRows = (x: unknown): x is ChunkRows =>
      typeof x === 'object' &&
      x !== null &&
      ['min', 'median', 'max', 'chunks'].every((k) => typeof (x as Record<string, unknown>)[k] === 'number');
    return { importId: entry.importId, chunkRows: isChunkRows(rows) ? rows : null };
  } catch {
    return null;
  }
}

function start(name: string, command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<AppProcess> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const finished = new Map<string, { chunkRows: ChunkRows | null }>();
  const waiting = new Map<string, { resolve: (line: { chunkRows: ChunkRows | null }) => void; reject: (error: Error) => void }>();
  child.once('exit', () => {
    for (const [importId, { reject }] of waiting) reject(new Error(`${name} exited before it logged the end of import ${importId}`));
    waiting.clear();
  });
  const app: AppProcess = {
    name,
    child,
    tail,
    importFinished(importId) {
      const line = finished.get(importId);
      if (line) return Promise.resolve(line);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${name} has exited`));
      return new Promise((resolve, reject) => waiting.set(importId, { resolve, reject }));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (ready.test(line)) resolve(app);
      const ended = finishedLine(line);
      if (ended) {
        finished.set(ended.importId, { chunkRows: ended.chunkRows });
        waiting.get(ended.importId)?.resolve({ chunkRows: ended.chunkRows });
        waiting.delete(ended.importId);
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before it was ready:\n${tail.join('\n')}`)));
  });
}

/** The API as `npm run api` starts it: compiled (built by `npm run bench` before this runs). */
export const startApi = (env: Record<string, string>, nodeArgs: string[] = []) =>
  start('api', API_COMMAND.command, [...nodeArgs, ...API_COMMAND.args], { ...API_COMMAND.env, ...env }, /API listening/);

/** A worker as `npm run worker` starts it (built by `npm run bench` before this runs). */
export const startWorker = (env: Record<string, string>) =>
  start('worker', WORKER_COMMAND.command, WORKER_COMMAND.args, { ...WORKER_COMMAND.env, ...env }, /worker started/);

/** Peak resident memory of a process, in megabytes. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Starts a new peak: the kernel resets VmHWM to the current resident size. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

/**
 * The process that does the work under a launcher (a process started through `tsx` runs in a node child of
 * its own, so its memory is that child's; the compiled API and worker are the process itself). Follows first
 * children down from `pid` to the last one.
 */
export async function workingPid(pid: number): Promise<number> {
  for (;;) {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    const child = Number(children.trim().split(/\s+/)[0]);
    if (!Number.isInteger(child) || child <= 0) return pid;
    pid = child;
  }
}
