/**
 * The real API and worker processes, started as `npm run api` / `npm run worker` start them (tsx), on the
 * benchmark's database, queue prefix, storage and port. The worker's peak memory is read from the node
 * process that runs it (tsx starts a child): `/proc/<pid>/status` VmHWM, reset before each measurement
 * through `/proc/<pid>/clear_refs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Last lines of its output, for the error message when it dies. */
  tail: string[];
  stop(): Promise<void>;
}

function start(name: string, entry: string, env: Record<string, string>, ready: RegExp): Promise<AppProcess> {
  const child = spawn(TSX, [entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const app: AppProcess = {
    name,
    child,
    tail,
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
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before it was ready:\n${tail.join('\n')}`)));
  });
}

export const startApi = (env: Record<string, string>) => start('api', 'apps/api/src/main.ts', env, /API listening/);
export const startWorker = (env: Record<string, string>) => start('worker', 'apps/worker/src/main.ts', env, /worker started/);

/** The node process that runs the app: tsx's child (tsx itself only relays signals). */
export async function nodeProcessOf(app: AppProcess): Promise<number> {
  const pid = app.child.pid as number;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name in parentheses: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) return Number(entry);
  }
  return pid;
}

/** Peak resident memory of a process, in megabytes. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Starts a new peak: the kernel resets VmHWM to the current resident size. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}
