/**
 * The same imports on two deployments, through the compiled worker and the API in process: `fs` + a
 * single Redis, and `s3` + a Redis Cluster (six redis-server nodes, three masters and three replicas,
 * behind a password; REDIS_CLUSTER_NODES). Each file leaves identical rows, row errors and totals on both.
 * On the cluster, the worker's progress messages reach a subscriber, its reconciler enqueues an import
 * whose job Redis never had, and the cleanup (the worker's job and `npm run cli -- cleanup run`) sweeps
 * every queue; no node ever answered CROSSSLOT (`INFO errorstats` counts even the errors a caller swallowed).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { ImportView } from '@importer/db';
import { createCleanupQueue, createRedis, progressChannel, type RedisConnection } from '@importer/queue';
import { createFileStore, type FileStore } from '@importer/storage';
import {
  companyRow,
  COMPANY_HEADERS,
  pollUntil,
  recordImport,
  startTestRedisCluster,
  startTestS3,
  toCsv,
  toXlsx,
  type FixtureRow,
  type TestRedisCluster,
  type TestS3,
} from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';
import { REPO_ROOT } from './support/processes';

const corpus = (file: string) => readFileSync(path.join(__dirname, 'corpus', file));

let cluster: TestRedisCluster;
let s3: TestS3;
let files: FileStore;
/** `s3` + Redis Cluster: the API in process and a compiled worker. */
let onCluster: FaultHarness;
/** `fs` + the single Redis of the test run. */
let onSingle: FaultHarness;
/** The cluster connection of the test's own reads (queues, progress). */
let redis: RedisConnection;

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startTestRedisCluster({ password: 'cluster-secret' }), startTestS3({ prefix: 'uploads' })]);
  files = createFileStore(s3.settings);
  redis = createRedis(cluster.settings);
  // Short reconciler passes on the cluster: one test has it enqueue an import.
  [onCluster, onSingle] = await Promise.all([
    startFaultHarness({
      fastHandover: false,
      importAttempts: 1,
      fileStore: files,
      redisCluster: cluster,
      workerEnv: { RECONCILE_INTERVAL_MS: '500' },
    }),
    startFaultHarness({ fastHandover: false, importAttempts: 1 }),
  ]);
  await Promise.all([onCluster.startWorker('cluster-s3', s3.env), onSingle.startWorker('single-fs')]);
  // Companies link to these subcategories through their NAF codes.
  const book = corpus('libreoffice-referentiel.xlsx');
  await Promise.all(
    [onCluster, onSingle].map(async (h) => {
      await h.importFile(book, 'referentiel.xlsx', { profile: 'categories' });
      await h.importFile(book, 'referentiel.xlsx', { profile: 'subcategories', sheet: 'Sous-catégories' });
    }),
  );
}, 180_000);
afterAll(async () => {
  redis?.disconnect();
  await onCluster?.close();
  await onSingle?.close();
  await s3?.close();
  await cluster?.close();
});

/** Every company as stored, without ids and timestamps (its subcategory by name), in key order. */
const storedCompanies = async (h: FaultHarness) =>
  (
    await h.db.pool.query<{ row: Record<string, unknown> }>(`
      SELECT to_jsonb(c) - 'id' - 'created_at' - 'updated_at' - 'subcategory_id' || jsonb_build_object('subcategory', s.nom) AS row
      FROM companies c LEFT JOIN subcategories s ON s.id = c.subcategory_id ORDER BY c.siren`)
  ).rows.map(({ row }) => row);

const rowErrors = async (h: FaultHarness, importId: string) =>
  (
    await h.db.pool.query<Record<string, unknown>>(
      `SELECT "row", "level", "column", "code", "message", "value", "raw" FROM import_row_errors WHERE import_id = $1 ORDER BY "row", "id"`,
      [importId],
    )
  ).rows;

/** 2,500 companies (three chunks of 1,000): a bad SIREN, a bad e-mail, and a key written again further down. */
function companies(): FixtureRow[] {
  const rows = Array.from({ length: 2_500 }, (_, i) => companyRow(i + 1));
  rows[10] = companyRow(11, { siren: '123' });
  rows[20] = companyRow(21, { email_contact: 'not-an-email' });
  rows[2_400] = companyRow(5, { nom: 'Société 5, renamed further down' });
  return rows;
}

/** Imports the file on both deployments, each into an empty table; returns what each stored. */
async function importOnBoth(content: Buffer, name: string) {
  const results: { view: ImportView; rows: Record<string, unknown>[]; errors: unknown[] }[] = [];
  for (const h of [onCluster, onSingle]) {
    await h.db.pool.query('DELETE FROM companies');
    const view = await h.importFile(content, name, { profile: 'companies' });
    results.push({ view, rows: await storedCompanies(h), errors: await rowErrors(h, view.id) });
  }
  return results as [(typeof results)[0], (typeof results)[0]];
}

describe('fs + single Redis and s3 + Redis Cluster, through the compiled worker', () => {
  it.each([
    ['companies.csv', () => Buffer.from(toCsv(COMPANY_HEADERS, companies(), { delimiter: ';' }))],
    ['companies.xlsx', () => toXlsx(COMPANY_HEADERS, companies())],
  ])('%s: identical rows, row errors and totals', async (name, content) => {
    const [clustered, single] = await importOnBoth(content(), name);
    expect({ status: clustered.view.status, error: clustered.view.error }).toEqual({ status: 'completed_with_errors', error: null });
    expect(clustered.view.totals).toMatchObject({ rows: 2_500, failed: 2 });
    expect(clustered.rows).toHaveLength(2_497); // 2,500 less two rejected rows and one key written twice
    expect(clustered.rows).toEqual(single.rows);
    expect(clustered.errors).toEqual(single.errors);
    expect(clustered.view.totals).toEqual(single.view.totals);
    expect(clustered.view.file).toEqual(single.view.file);
  });

  it("publishes the worker's progress on the cluster", async () => {
    const subscriber = createRedis(cluster.settings);
    const heard = new Set<string>();
    subscriber.on('message', (_channel: string, importId: string) => heard.add(importId));
    try {
      await subscriber.subscribe(progressChannel(onCluster.prefix));
      await onCluster.db.pool.query('DELETE FROM companies');
      const view = await onCluster.importFile(
        Buffer.from(
          toCsv(
            COMPANY_HEADERS,
            Array.from({ length: 1_500 }, (_, i) => companyRow(3_000 + i)),
          ),
        ),
        'progress.csv',
        {
          profile: 'companies',
        },
      );
      expect(view.status).toBe('completed');
      await pollUntil(() => Promise.resolve(heard.has(view.id)), Boolean, 'a progress message of the import');
    } finally {
      subscriber.disconnect();
    }
  });

  it('its reconciler enqueues on the cluster an import whose job Redis never had', async () => {
    const id = randomUUID();
    const content = Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(9_001), companyRow(9_002)]));
    await files.write(id, Readable.from([content]));
    await recordImport(onCluster.db.pool, { id, fileKey: id, fileSize: content.length });
    const finished = await onCluster.waitUntilFinished(id);
    expect({ status: finished.status, totals: finished.totals }).toMatchObject({ status: 'completed', totals: { rows: 2, created: 2 } });
    // The job the reconciler added ends `completed` once its worker has recorded the import's end.
    await pollUntil(
      () => onCluster.queue.getJobState(id),
      (state) => state === 'completed',
      'the reconciled job completed',
    );
  });

  it('runs the cleanup on the cluster: the worker’s job, and npm run cli -- cleanup run', async () => {
    const cleanupQueue = createCleanupQueue({ connection: redis, prefix: onCluster.prefix });
    try {
      await cleanupQueue.add('cleanup', { trigger: 'manual' });
      const runs = async () =>
        (await onCluster.db.pool.query<{ status: string }>(`SELECT status FROM cleanup_runs WHERE trigger = 'manual'`)).rows;
      expect(
        await pollUntil(runs, (rows) => rows.length === 1 && rows[0]?.status !== 'running', 'the worker’s cleanup run, finished'),
      ).toEqual([{ status: 'completed' }]);
    } finally {
      await cleanupQueue.close();
    }
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'cleanup', 'run'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: onCluster.db.url,
        ...cluster.env,
        ...s3.env,
        QUEUE_PREFIX: onCluster.prefix,
        STORAGE_DIR: onCluster.storageDir,
      },
    });
    expect(JSON.parse(stdout)).toMatchObject({ trigger: 'manual', status: 'completed' });
  });

  it('never had a CROSSSLOT answer from any node', async () => {
    for (const port of cluster.ports) {
      expect(await cluster.node(port).info('errorstats')).not.toMatch(/CROSSSLOT/);
    }
  });
});
