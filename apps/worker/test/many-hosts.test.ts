/**
 * Hosts that share nothing but PostgreSQL, Redis and the file store (docs/deploy.md, "Many hosts"): the API
 * (as `npm run api` starts it) and two compiled workers each run in a network namespace of their own, with
 * their own address on a private bridge and an empty folder as their local disk, STORAGE_DRIVER=s3. They
 * reach PostgreSQL, Redis and the S3 server over the bridge only; the test talks to the API over it too.
 *
 * One worker host dies (every process in its namespace SIGKILLed, the namespace deleted) in the middle of
 * a 200,000-row import: the other host's worker takes the job over and the import completes with every row
 * stored once. Live progress, cancel, retry, the reconciler, the nightly schedule and Bull Board work across
 * the hosts. Without the privilege to make namespaces, the same runs as processes with separate folders,
 * and the test's name says so.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import type { ImportView } from '@importer/db';
import { CLEANUP_SCHEDULER_ID, createCleanupQueue, progressChannel } from '@importer/queue';
import { createFileStore } from '@importer/storage';
import {
  COMPANY_HEADERS,
  companyRow,
  networkNamespacesAvailable,
  pollUntil,
  recordImport,
  redisUrl,
  startHosts,
  startTestS3,
  startTestServices,
  toCsv,
  type FixtureRow,
  type Host,
  type Hosts,
  type TestS3,
  type TestServices,
} from '@importer/testing';
import { nextChunksBy } from './support/fault-harness';
import { freePort, spawnApi, spawnWorker, type WorkerProcess } from './support/processes';

// A backstop: every wait below has a deadline of its own that names what did not happen.
jest.setTimeout(300_000);

const ROWS = 200_000;
const TOKEN = `many-hosts-${randomUUID()}`;
const ADMIN = { email: 'admin@example.com', password: 'many hosts password' };
const FINISHED = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);
const isolated = networkNamespacesAvailable();

/** `rows` valid companies, numbered from `first`: each a key of its own. */
const companies = (first: number, rows: number) => {
  const data = new Array<FixtureRow>(rows);
  for (let i = 0; i < rows; i++) data[i] = companyRow(first + i);
  return Buffer.from(toCsv(COMPANY_HEADERS, data));
};

let services: TestServices;
let s3: TestS3;
let hosts: Hosts;
let api: WorkerProcess;
let apiUrl: string;
const workers = new Map<WorkerProcess, Host>();
const auth = { Authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  services = await startTestServices({ failFast: true, storagePrefix: 'importer-many-hosts-' });
  services.queue.on('error', () => undefined);
  s3 = await startTestS3({ prefix: 'uploads' });
  hosts = await startHosts(['api', 'w1', 'w2']);
  console.info(`many-hosts: ${hosts.note}`);
  // What every host is given: the services' addresses as seen from the hosts, and a local disk of its own.
  const [databaseUrl, redisOfHosts, s3Endpoint] = await Promise.all([
    hosts.reach(services.db.url),
    hosts.reach(redisUrl()),
    hosts.reach(s3.endpoint),
  ]);
  const shared = (host: Host) => ({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisOfHosts,
    QUEUE_PREFIX: services.prefix,
    ...s3.env,
    S3_ENDPOINT: s3Endpoint.replace(/\/$/, ''),
    // Nothing may be written there with STORAGE_DRIVER=s3: the test checks that it never appears.
    STORAGE_DIR: path.join(host.dir, 'storage'),
    TMPDIR: host.dir,
    IMPORT_ATTEMPTS: '3',
  });

  const apiHost = hosts.hosts.api!;
  const port = isolated ? 3000 : await freePort();
  apiUrl = `http://${apiHost.address}:${port}`;
  api = spawnApi(
    'api',
    {
      ...shared(apiHost),
      LOG_LEVEL: 'info',
      PORT: String(port),
      IMPORTER_BOOTSTRAP_TOKEN: TOKEN,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      UPLOADS_PER_HOUR: '1000',
    },
    { spawn: apiHost.spawn },
  );
  for (const name of ['w1', 'w2']) {
    const host = hosts.hosts[name]!;
    const worker = spawnWorker(
      name,
      {
        ...shared(host),
        LOG_LEVEL: 'debug', // a `chunk committed` line per chunk tells which host runs an import
        CHUNK_SIZE: '2000',
        WORKER_CONCURRENCY: '1',
        IMPORTS_PER_USER: '2',
        IMPORTS_PER_MINUTE: '1000',
        // A dead host's job is handed over once its lock expires and a stalled check runs.
        WORKER_LOCK_DURATION_MS: '4000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        WORKER_MAX_STALLED: '100',
        RECONCILE_INTERVAL_MS: '1000',
      },
      { spawn: host.spawn },
    );
    workers.set(worker, host);
  }
  await Promise.all([
    api.waitForLog((line) => line.msg.startsWith('API listening'), 'API listening', 120_000),
    ...[...workers.keys()].map((worker) => worker.waitForLog((line) => line.msg === 'cleanup scheduled', 'cleanup scheduled', 120_000)),
  ]);
});

afterAll(async () => {
  await hosts?.close();
  await s3?.close();
  await services?.close();
  // Nothing of the test network is left on the machine.
  expect(hosts?.leftovers() ?? []).toEqual([]);
});

const find = async (id: string) => (await services.imports.find(id)) as ImportView;
const waitUntilFinished = (id: string) =>
  pollUntil(
    () => find(id),
    (view) => FINISHED.has(view.status),
    `import ${id} finished`,
    { timeoutMs: 150_000, everyMs: 250 },
  );
const storedCompanies = async () =>
  (
    await services.db.pool.query<{ rows: number; keys: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT siren)::int AS keys FROM companies',
    )
  ).rows[0]!;

async function upload(file: Buffer, name: string): Promise<string> {
  const response = await request(apiUrl).post('/api/v1/imports').set(auth).field('profile', 'companies').attach('file', file, name);
  expect(response.status).toBe(202);
  return (response.body as ImportView).id;
}

/** The import's progress stream on the API host: the `import` events' records, until `end`. */
function progressStream(id: string) {
  const records: ImportView[] = [];
  let ended = false;
  const url = new URL(`${apiUrl}/api/v1/imports/${id}/events`);
  const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers: auth }, (res) => {
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^event: end$/m.test(block)) ended = true;
        const data = /^event: import\ndata: (.*)$/m.exec(block)?.[1];
        if (data) records.push(JSON.parse(data) as ImportView);
      }
    });
  });
  req.on('error', () => undefined);
  return { records, ended: () => ended, close: () => req.destroy() };
}

describe(isolated ? 'hosts in network namespaces' : 'hosts as separate processes (no network namespaces here: not root)', () => {
  it(`a worker host killed in the middle of a ${ROWS.toLocaleString('en')}-row import: the other host completes it, every row stored once`, async () => {
    const id = await upload(companies(0, ROWS), 'companies.csv');
    const stream = progressStream(id);
    try {
      // Whichever worker host took the job commits 10 chunks (20,000 rows), then its host dies.
      const runner = await nextChunksBy([...workers.keys()], id, 10, 120_000);
      const dying = workers.get(runner)!;
      const survivor = [...workers.keys()].find((worker) => worker !== runner)!;
      const checkpoint = (await find(id)).totals.rows;
      const killedAt = Date.now();
      await dying.kill();
      expect((await runner.exited).signal).toBe('SIGKILL');
      expect(dying.isAlive()).toBe(false);
      workers.delete(runner);
      // The surviving host takes the job over once the dead one's lock has expired.
      await nextChunksBy([survivor], id, 1, 120_000);
      const takenOverMs = Date.now() - killedAt;

      const result = await waitUntilFinished(id);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'completed', error: null });
      expect(result.totals).toMatchObject({ rows: ROWS, created: ROWS, updated: 0, unchanged: 0, skipped: 0, failed: 0 });
      expect(result.attempts).toBeGreaterThanOrEqual(2);
      expect(await storedCompanies()).toEqual({ rows: ROWS, keys: ROWS });

      // Live progress on the API host, from chunks committed on the worker hosts (woken over Redis).
      await pollUntil(() => Promise.resolve(stream.ended()), Boolean, 'the progress stream ended');
      const processed = stream.records.filter((record) => record.status === 'processing').map((record) => record.totals.rows);
      expect(processed.some((rows) => rows > 0 && rows < ROWS)).toBe(true);
      expect(stream.records.at(-1)?.status).toBe('completed');
      const [, subscribers] = (await services.redis.pubsub('NUMSUB', progressChannel(services.prefix))) as [string, number];
      expect(subscribers).toBe(1); // the API host's subscription

      if (process.env.FAULT_FIGURES_FILE) {
        const entry = {
          test: 'many-hosts',
          isolated,
          rows: ROWS,
          killedAtRows: checkpoint,
          takenOverMs,
          attempts: result.attempts,
          totals: result.totals,
        };
        await appendFile(process.env.FAULT_FIGURES_FILE, JSON.stringify(entry) + '\n');
      }
    } finally {
      stream.close();
    }
  });

  it('cancels and retries, from the API host, an import running on a worker host', async () => {
    const [worker] = [...workers.keys()];
    const id = await upload(companies(1_000_000, 60_000), 'cancel-me.csv');
    await nextChunksBy([worker!], id, 2, 120_000);

    const cancelled = await request(apiUrl).post(`/api/v1/imports/${id}/cancel`).set(auth);
    expect(cancelled.status).toBe(200);
    expect((cancelled.body as ImportView).status).toBe('cancelled');
    // The worker finds its next chunk refused and ends its delivery.
    await pollUntil(
      () => services.queue.getJobState(id),
      (state) => state === 'completed' || state === 'failed',
      'the cancelled import job ended',
    );
    const stopped = await find(id);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.totals.rows).toBeLessThan(60_000);
    expect((await storedCompanies()).rows).toBe(ROWS + stopped.totals.created);

    const retried = await request(apiUrl).post(`/api/v1/imports/${id}/retry`).set(auth);
    expect(retried.status).toBe(202);
    const result = await waitUntilFinished(id);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'completed', error: null });
    expect(result.totals).toMatchObject({ rows: 60_000, created: 60_000, failed: 0 });
    expect(await storedCompanies()).toEqual({ rows: ROWS + 60_000, keys: ROWS + 60_000 });
  });

  it('the reconciler of a worker host gives a job to an import Redis never had', async () => {
    const key = randomUUID();
    const file = companies(2_000_000, 10);
    await createFileStore(s3.settings).write(key, Readable.from([file]));
    const id = await recordImport(services.db.pool, { fileKey: key, fileSize: file.length });
    const result = await waitUntilFinished(id);
    expect({ status: result.status, rows: result.totals.rows }).toEqual({ status: 'completed', rows: 10 });
  });

  it('one nightly cleanup schedule for every worker host, and Bull Board on the API host shows their jobs', async () => {
    const cleanupQueue = createCleanupQueue({ connection: services.redis, prefix: services.prefix });
    try {
      const schedulers = await cleanupQueue.getJobSchedulers();
      expect(schedulers.map((scheduler) => scheduler.key)).toEqual([CLEANUP_SCHEDULER_ID]);
    } finally {
      await cleanupQueue.close();
    }

    const agent = request.agent(apiUrl);
    expect((await agent.post('/api/v1/session').send(ADMIN)).status).toBe(200);
    expect((await agent.get('/admin/imports')).status).toBe(200); // the admin UI, built on the API host
    const board = await agent
      .get('/admin/queues/api/queues')
      .query({ activeQueue: 'imports', status: 'completed', page: 1, jobsPerPage: 10 });
    expect(board.status).toBe(200);
    const imports = (board.body as { queues: { name: string; jobs: { id: string }[] }[] }).queues.find((queue) => queue.name === 'imports');
    const { rows } = await services.db.pool.query<{ id: string }>('SELECT id FROM imports');
    expect(imports?.jobs.map((job) => job.id).sort()).toEqual(rows.map((row) => row.id).sort());
  });

  it('keeps no uploaded file on any host: with STORAGE_DRIVER=s3 every file is in the bucket', async () => {
    for (const host of Object.values(hosts.hosts)) expect(existsSync(path.join(host.dir, 'storage'))).toBe(false);
    const { rows } = await services.db.pool.query<{ file_key: string }>('SELECT file_key FROM imports');
    const objects = await s3.objectKeys();
    for (const { file_key } of rows) expect(objects).toContain(`uploads/${file_key}`);
  });
});
