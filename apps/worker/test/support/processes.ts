/**
 * Real processes for fault-injection tests: worker processes started as `npm run worker` starts them (the
 * compiled entry with its node flags, `apps/worker/scripts/command.cjs`; one process, so the pid the test
 * signals is the worker itself), the API as `npm run api` starts it, either of them here or on a test's host
 * (`startHosts`), and throwaway `redis-server`s on free ports. Everything started here is stopped by pid
 * (or with its host); nothing else is touched.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { WORKER_BUILD, WORKER_COMMAND } from '../../scripts/command.cjs';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export interface LogLine {
  level: number;
  msg: string;
  importId?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  name: string;
  pid: number;
  logs: LogLine[];
  /** Resolves with the first log line (already written or to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited and every line it wrote is in `logs`. */
  exited: Promise<Exit>;
  /** Calls `listener` with each log line to come; returns the function that stops listening. */
  onLine(listener: (line: LogLine) => void): () => void;
  signal(signal: NodeJS.Signals): void;
  isRunning(): boolean;
}

/** The compiled worker, built from the current sources once per test file (≈ 50 ms). */
let built = false;

/** How a process is started: `child_process.spawn`, or a host's (`@importer/testing`'s `startHosts`). */
type Spawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface SpawnProcessOptions {
  /** Starts the process elsewhere (in a network namespace); default: here, in the repository. */
  spawn?: Spawn;
}

/** Starts one worker process with the environment given (on top of this process's PATH and HOME). */
export function spawnWorker(name: string, env: Record<string, string>, options: SpawnProcessOptions = {}): WorkerProcess {
  if (!built) execFileSync(process.execPath, [WORKER_BUILD], { cwd: REPO_ROOT, stdio: 'inherit' });
  built = true;
  return spawnLogged(name, WORKER_COMMAND.command, WORKER_COMMAND.args, { ...WORKER_COMMAND.env, ...env }, options);
}

/**
 * Starts the API as `npm run api` does (tsx on apps/api/src/main.ts; the admin UI is built by `npm test`
 * beforehand), with the environment given. Its log lines are read like a worker's.
 */
export function spawnApi(name: string, env: Record<string, string>, options: SpawnProcessOptions = {}): WorkerProcess {
  return spawnLogged(name, path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'apps/api/src/main.ts')], env, options);
}

/** Starts a process that logs JSON lines (pino), on top of this process's PATH and HOME. */
function spawnLogged(
  name: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  options: SpawnProcessOptions,
): WorkerProcess {
  const start: Spawn = options.spawn ?? ((file, argv, spawnOptions) => spawn(file, argv, spawnOptions));
  const child: ChildProcess = start(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const listeners = new Set<(line: LogLine) => void>();
  let running = true;
  let stderr = '';
  child.once('exit', () => {
    running = false; // no signal to a pid that is gone
  });
  // 'close', not 'exit': the process may exit before its last lines are read from the pipe.
  const exited = once(child, 'close').then(([code, signal]: unknown[]) => ({ code, signal }) as Exit);
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 30, msg: text };
    }
    logs.push(line);
    for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
    for (const listener of listeners) listener(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  return {
    name,
    pid: child.pid,
    logs,
    exited,
    isRunning: () => running,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signal: (signal) => {
      if (running) process.kill(child.pid!, signal);
    },
    waitForLog(match, what, timeoutMs = 60_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            cleanup();
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`worker ${name}: no log "${what}" within ${timeoutMs} ms; last lines:\n${tail(logs)}\n${stderr}`));
        }, timeoutMs).unref();
        const onExit = () => {
          cleanup();
          reject(new Error(`worker ${name} exited before logging "${what}"; last lines:\n${tail(logs)}\n${stderr}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          child.off('close', onExit);
        };
        waiters.add(waiter);
        child.once('close', onExit);
      });
    },
  };
}

const tail = (logs: LogLine[]) =>
  logs
    .slice(-15)
    .map((line) => JSON.stringify(line))
    .join('\n');

/** A TCP port free at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM; it keeps nothing on disk). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** A `redis-server` of the test's own, on a free port, persisting nothing: it may be stopped and flushed. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let output = '';
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (ready) return; // keep draining the pipe
        output += chunk.toString();
        if (/Ready to accept connections/i.test(output)) {
          ready = true;
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited (${code}): ${output}`)));
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const child = server;
      if (!child || child.exitCode !== null) return;
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      await exit;
    },
  };
}
