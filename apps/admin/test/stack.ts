/**
 * The whole operator surface for browser tests, on the real services: the API app listening on a free port
 * (admin UI, Bull Board, SSE), an in-process worker publishing progress (or the compiled worker, started as
 * `npm run worker` starts it, configured by its environment), a database and a queue prefix of their own, and
 * Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '@importer/api';
import type { Pool, PoolClient } from '@importer/db';
import { createProgressPublisher, createProgressSubscriber, createRedis } from '@importer/queue';
import { redisUrl, runWorker, startTestServices, testAppDeps, TEST_LIMITS } from '@importer/testing';
import { createImportWorker, createRevertWorker } from '@importer/worker';
import { spawnWorker } from '@importer/worker/test/support/processes';

const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(ROOT, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PASSWORD = 'a long enough password';

/**
 * Holds or breaks the worker's chunk transactions (each takes one `pool.connect()`), so that a test can
 * find an import running, or failing, exactly when it wants to, without timing.
 */
class ChunkGate {
  private plan: { kind: 'hold'; after: number; reached: () => void; released: Promise<void> } | { kind: 'fail'; message: string } | null =
    null;

  /** Lets `after` chunk transactions through, then holds the next ones until `release()`. */
  holdAfter(after: number): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.plan = { kind: 'hold', after, reached, released };
    return {
      reached: reachedPromise,
      release: () => {
        this.plan = null;
        release();
      },
    };
  }

  /** The next chunk transaction fails as a lost database connection would (a transient error). */
  failNext(message = 'connection terminated unexpectedly (test)'): void {
    this.plan = { kind: 'fail', message };
  }

  async pass(): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    if (plan.kind === 'fail') {
      this.plan = null;
      throw new Error(plan.message);
    }
    if (plan.after > 0) {
      plan.after--;
      return;
    }
    plan.reached();
    await plan.released;
  }

  /**
   * The engine writes each chunk with one named statement (`write_chunk_…`) on a connection it holds for the
   * whole import: gate that statement, on every client the pool hands out.
   */
  wrap(pool: Pool): Pool {
    const gateClient = (client: PoolClient): PoolClient =>
      new Proxy(client, {
        get: (target, property) => {
          const value: unknown = Reflect.get(target, property, target);
          if (property !== 'query' || typeof value !== 'function') {
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          }
          return async (...args: unknown[]) => {
            const config = args[0] as { name?: string } | string;
            if (typeof config === 'object' && config?.name?.startsWith('write_chunk_')) await this.pass();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    return new Proxy(pool, {
      get: (target, property) => {
        if (property === 'connect') return async () => gateClient(await target.connect());
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

/** Builds the admin UI into apps/admin/dist unless it is up to date (the same script `npm start` runs). */
async function buildAdminUi(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'apps/admin/scripts/build.mjs')], { cwd: ROOT });
}

interface StackOptions {
  chunkSize?: number;
  /**
   * Runs the compiled worker process instead of the in-process one (the chunk gate then does nothing), with
   * this environment on top of the stack's database, Redis, prefix and storage folder.
   */
  compiledWorker?: { env: Record<string, string> };
  /** Replaces or adds to the API's dependencies (`testAppDeps`). */
  app?: object;
}

/** The compiled worker on the stack's services, waited for until it takes jobs; `stop()` ends it with SIGTERM. */
async function startCompiledWorker(
  services: Awaited<ReturnType<typeof startTestServices>>,
  chunkSize: number,
  env: Record<string, string>,
) {
  const worker = spawnWorker('browser-stack', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: services.db.url,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: services.prefix,
    STORAGE_DIR: services.storageDir,
    CHUNK_SIZE: String(chunkSize),
    WORKER_CONCURRENCY: '2',
    IMPORTS_PER_MINUTE: '1000',
    ...env,
  });
  await worker.waitForLog((line) => line.msg === 'worker started', 'worker started', 60_000);
  return {
    async stop() {
      worker.signal('SIGTERM');
      await worker.exited;
    },
  };
}

export async function startStack(options: StackOptions = {}) {
  await buildAdminUi();
  await mkdir(ARTIFACTS, { recursive: true });
  const services = await startTestServices({ storagePrefix: 'importer-browser-' });
  const { db, imports, tokens, users, prefix, redis, queue, storageDir } = services;
  const progress = createProgressSubscriber(createRedis(redisUrl()), prefix);
  const gate = new ChunkGate();

  const deps = testAppDeps(services, { progress, sessionSecret: randomBytes(32).toString('hex'), statsCacheMs: 0, ...options.app });
  const app = createApp(deps);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const publisher = createProgressPublisher(redis, prefix);
  const chunkSize = options.chunkSize ?? 50;
  const worker = options.compiledWorker
    ? await startCompiledWorker(services, chunkSize, options.compiledWorker.env)
    : await runWorker(
        createImportWorker(
          {
            logger: deps.logger,
            engine: {
              pool: gate.wrap(db.pool),
              imports,
              storageDir,
              limits: TEST_LIMITS,
              chunkSize,
              onProgress: (importId) => publisher.publish(importId),
            },
          },
          { connection: redis, prefix, concurrency: 2, importsPerMinute: 1_000 },
        ),
      );

  // Reverts (POST /imports/:id/revert) run on their own queue's worker, publishing progress the same way.
  const revertWorker = await runWorker(
    createRevertWorker(
      {
        logger: deps.logger,
        engine: { pool: db.pool, imports, chunkSize: options.chunkSize ?? 50, onProgress: (importId) => publisher.publish(importId) },
      },
      { connection: redis, prefix, concurrency: 1 },
    ),
  );

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const { token } = await tokens.create('browser-tests', 'admin');

  return {
    baseUrl,
    db,
    users,
    imports,
    queue,
    gate,
    browser,
    token,

    /** A fresh browser context (its own cookies) and page; records dialogs so tests can assert none fired. */
    async newPage(): Promise<{ page: Page; dialogs: string[] }> {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1360, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      return { page, dialogs };
    },

    async logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
      await page.goto('/admin/login');
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    },

    /** Uploads through the API with the admin token (for tests whose subject is not the upload form). */
    async uploadByApi(content: string, filename: string, profile = 'companies'): Promise<string> {
      const form = new FormData();
      form.set('profile', profile);
      form.set('file', new Blob([content], { type: 'text/csv' }), filename);
      const response = await fetch(`${baseUrl}/api/v1/imports`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form,
      });
      if (response.status !== 202) throw new Error(`upload refused: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    },

    async close(): Promise<void> {
      await browser.close();
      await progress.close();
      server.closeAllConnections();
      server.close();
      await worker.stop();
      await revertWorker.stop();
      await services.close();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
