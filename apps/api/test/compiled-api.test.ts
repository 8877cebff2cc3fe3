/**
 * The API as users run it: compiled by apps/api/scripts/build.mjs and started as `npm run api` starts it
 * (apps/api/scripts/command.cjs), on a database and queue prefix of its own. What the bundle changes is
 * checked here: files read by path (the admin UI, Swagger UI's assets, the readers' thread scripts), the
 * read path's headers, and a token revoked by another API process (in process here) refused at once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { createRedis, subscribeTokenRevocations } from '@importer/queue';
import {
  COMPANY_HEADERS,
  companyRow,
  recordImport,
  redisUrl,
  startTestServices,
  testAppDeps,
  toCsv,
  toXls,
  toXlsx,
  type TestServices,
} from '@importer/testing';
import { API_BUILD, API_COMMAND } from '../scripts/command.cjs';
import { createApp } from '../src/app';

const REPO_ROOT = path.resolve(__dirname, '../../..');

let services: TestServices;
let api: ChildProcess;
let baseUrl: string;
let storageDir: string;
const logs: { msg: string; tokenId?: string }[] = [];
const logWaiters = new Set<() => void>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Resolves with the first log line of the API process (already written or to come) that matches. */
function logLine(match: (line: { msg: string; tokenId?: string }) => boolean) {
  return new Promise<{ msg: string; tokenId?: string }>((resolve) => {
    const check = () => {
      const found = logs.find(match);
      if (!found) return;
      logWaiters.delete(check);
      resolve(found);
    };
    logWaiters.add(check);
    check();
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, [API_BUILD], { cwd: REPO_ROOT, stdio: 'inherit' });
  services = await startTestServices({ failFast: true });
  storageDir = await mkdtemp(path.join(tmpdir(), 'importer-compiled-api-'));
  const port = await freePort();
  api = spawn(API_COMMAND.command, API_COMMAND.args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...API_COMMAND.env,
      DATABASE_URL: services.db.url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: services.prefix,
      STORAGE_DIR: storageDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: api.stdout! }).on('line', (text) => {
    try {
      logs.push(JSON.parse(text) as { msg: string });
    } catch {
      logs.push({ msg: text });
    }
    for (const waiter of [...logWaiters]) waiter();
  });
  await Promise.race([
    logLine((line) => line.msg.startsWith('API listening')),
    once(api, 'exit').then(([code]) => Promise.reject(new Error(`the compiled API exited (${String(code)}) before listening`))),
  ]);
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  if (api && api.exitCode === null && api.signalCode === null) {
    const exited = once(api, 'exit');
    api.kill('SIGTERM');
    await exited;
  }
  await services?.close();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

describe('the compiled API (apps/api/dist/main.js)', () => {
  it('serves the admin UI and the API docs from the files beside the sources and in the packages', async () => {
    const page = await request(baseUrl).get('/admin/login');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<div id="root">/);
    const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await request(baseUrl).get(script!).set('Accept-Encoding', 'gzip');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    const docs = await request(baseUrl).get('/api/docs/');
    expect(docs.status).toBe(200);
    const swaggerScript = /src="\.\/([^"]+\.js)"/.exec(docs.text)?.[1];
    expect((await request(baseUrl).get(`/api/docs/${swaggerScript}`)).status).toBe(200);
    expect((await request(baseUrl).get('/api/v1/openapi.json')).status).toBe(200);
  });

  it('answers an import with an ETag and 304, and refuses a token as soon as another API process revokes it', async () => {
    const { token, id: tokenId } = await services.tokens.create('polling client', 'viewer');
    const importId = await recordImport(services.db.pool);
    const bearer = { Authorization: `Bearer ${token}` };
    const first = await request(baseUrl).get(`/api/v1/imports/${importId}`).set(bearer);
    expect(first.status).toBe(200);
    const again = await request(baseUrl).get(`/api/v1/imports/${importId}`).set(bearer).set('If-None-Match', first.headers.etag!);
    expect(again.status).toBe(304);

    // Another API process (in this test) revokes the token; the compiled one, which has it cached, hears of it.
    const subscriber = createRedis(redisUrl());
    const other = createApp(testAppDeps(services, { tokenRevocations: subscribeTokenRevocations(subscriber, services.prefix) }));
    try {
      const { token: admin } = await services.tokens.create('admin', 'admin');
      const heard = logLine((line) => line.tokenId === tokenId && line.msg.startsWith('API token revoked'));
      expect(
        (
          await request(other)
            .delete(`/api/v1/tokens/${tokenId}`)
            .set({ Authorization: `Bearer ${admin}` })
        ).status,
      ).toBe(204);
      await heard;
      expect((await request(baseUrl).get(`/api/v1/imports/${importId}`).set(bearer)).status).toBe(401);
    } finally {
      subscriber.disconnect();
    }
  });
  it("reads a CSV's, an XLSX's and an XLS's header row (POST /imports/inspect), the latter two in their readers' threads beside main.js", async () => {
    const { token } = await services.tokens.create('inspecting client', 'operator');
    const rows = [companyRow(1), companyRow(2)];
    const files: [string, Buffer][] = [
      ['companies.csv', Buffer.from(toCsv(COMPANY_HEADERS, rows))],
      ['companies.xlsx', toXlsx(COMPANY_HEADERS, rows)],
      [
        'companies.xls',
        toXls([{ name: 'Feuil1', rows: [[...COMPANY_HEADERS], ...rows.map((row) => COMPANY_HEADERS.map((h) => row[h] ?? ''))] }]),
      ],
    ];
    for (const [name, content] of files) {
      const response = await request(baseUrl)
        .post('/api/v1/imports/inspect')
        .set({ Authorization: `Bearer ${token}` })
        .field('profile', 'companies')
        .attach('file', content, name);
      expect({ name, status: response.status, headers: (response.body as { headers?: string[] }).headers }).toEqual({
        name,
        status: 200,
        headers: [...COMPANY_HEADERS],
      });
    }
  });
});
