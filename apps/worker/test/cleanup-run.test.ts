/**
 * The nightly cleanup, with time moved by back-dating rows and files (and, for Redis jobs, by running it
 * with a clock ahead): what it deletes and what it keeps, in statements of at most 1,000 rows, idempotent,
 * each run recorded and listed at GET /api/v1/cleanup-runs.
 */
import { randomUUID } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import type { CleanupRunView, ImportView, Page } from '@importer/contracts';
import { CLEANUP_BATCH, deleteOldImports, LINEAGE_TABLES } from '@importer/db';
import { runCleanup, type CleanupDeps } from '@importer/imports';
import { createCleanupQueue, createRedis, sweepFinishedJobs, type CleanupPayload } from '@importer/queue';
import { recordImport, recordingPool, redisUrl, type SentStatement } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

const DAY = 24 * 3600 * 1000;

let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Every statement the cleanup ran to delete or mark old data (not its own run record), with the rows it touched. */
const sent: SentStatement[] = [];
const writes = () =>
  sent
    .filter(({ text }) => /^\s*(DELETE|UPDATE|WITH)/i.test(text) && !text.includes('"cleanup_runs"'))
    .map(({ text, name, rowCount }) => ({ statement: name ?? text, rows: rowCount ?? 0 }));

/** An import as the API records it, with its stored file, then aged and moved to a status. */
async function anImport(name: string, options: { status: string; ageDays: number; rowErrors?: number; purged?: boolean }) {
  const fileKey = randomUUID();
  if (!options.purged) await writeFile(path.join(h.storageDir, fileKey), `nom\n${name}\n`);
  const id = await recordImport(h.db.pool, { profile: 'categories', fileName: `${name}.csv`, fileKey });
  await h.db.pool.query(
    `UPDATE imports SET status = $2, created_at = now() - make_interval(days => $3), file_purged_at = CASE WHEN $4 THEN now() - interval '1 day' END WHERE id = $1`,
    [id, options.status, options.ageDays, options.purged ?? false],
  );
  if (options.rowErrors) {
    await h.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, code, message) SELECT $1, n + 1, 'error', 'required', 'nom is required' FROM generate_series(1, $2) n`,
      [id, options.rowErrors],
    );
  }
  return { id, fileKey, name };
}

async function state() {
  const { rows } = await h.db.pool.query<{ id: string; purged: boolean; errors: number }>(
    `SELECT i.id, i.file_purged_at IS NOT NULL AS purged, (SELECT count(*)::int FROM import_row_errors e WHERE e.import_id = i.id) AS errors FROM imports i ORDER BY i.id`,
  );
  return { imports: rows, files: (await readdir(h.storageDir)).sort() };
}

it('deletes what is old, keeps the rest, in statements of at most 1,000 rows; a second run changes nothing; both are recorded', async () => {
  const oldWithErrors = await anImport('old-with-errors', { status: 'completed_with_errors', ageDays: 100, rowErrors: 2_500 });
  const oldPurged = await anImport('old-purged', { status: 'failed', ageDays: 95, purged: true });
  const filesOld = await anImport('files-old', { status: 'completed_with_errors', ageDays: 40, rowErrors: 10 });
  const recent = await anImport('recent', { status: 'completed', ageDays: 10, rowErrors: 3 });
  const stuck = await anImport('stuck', { status: 'processing', ageDays: 100 });
  const waiting = await anImport('waiting', { status: 'queued', ageDays: 40 });
  const orphanOld = randomUUID();
  const orphanFresh = randomUUID();
  for (const name of [orphanOld, orphanFresh, 'README.txt']) await writeFile(path.join(h.storageDir, name), 'x');
  const threeDaysAgo = new Date(Date.now() - 3 * DAY);
  await utimes(path.join(h.storageDir, orphanOld), threeDaysAgo, threeDaysAgo);
  await utimes(path.join(h.storageDir, 'README.txt'), threeDaysAgo, threeDaysAgo);

  const deps: CleanupDeps = {
    pool: recordingPool(h.db.pool, sent),
    storageDir: h.storageDir,
    retention: { importsDays: 90, filesDays: 30, lineageDays: 30 },
  };
  const first = await runCleanup(deps, 'manual');

  expect(first.status).toBe('completed');
  expect(first.counts).toEqual({
    importsDeleted: 2,
    rowErrorsDeleted: 2_500,
    filesPurged: 2,
    orphanFilesDeleted: 1,
    jobsRemoved: 0,
    lineageDeleted: 0,
  });
  const after = await state();
  const byId = new Map(after.imports.map((row) => [row.id, row]));
  expect(byId.has(oldWithErrors.id)).toBe(false);
  expect(byId.has(oldPurged.id)).toBe(false);
  expect(byId.get(filesOld.id)).toMatchObject({ purged: true, errors: 10 }); // the record stays, with a purged mark
  expect(byId.get(recent.id)).toMatchObject({ purged: false, errors: 3 });
  expect(byId.get(stuck.id)).toMatchObject({ purged: false }); // not finished: never deleted
  expect(byId.get(waiting.id)).toMatchObject({ purged: false }); // still needs its file
  expect(after.files).toEqual([recent.fileKey, stuck.fileKey, waiting.fileKey, orphanFresh, 'README.txt'].sort());
  const purgedView = await h.http.get(`/api/v1/imports/${filesOld.id}`).set(h.auth);
  expect((purgedView.body as ImportView).file.purged).toBe(true);

  // Bounded statements: no write touched more than 1,000 rows; 2,500 row errors took three deletes.
  expect(Math.max(...writes().map((write) => write.rows))).toBeLessThanOrEqual(CLEANUP_BATCH);
  expect(writes().filter((write) => write.statement === 'cleanup_delete_row_errors' && write.rows > 0)).toHaveLength(3);

  sent.length = 0;
  const second = await runCleanup(deps, 'manual');
  expect(second.status).toBe('completed');
  expect(second.counts).toEqual({
    importsDeleted: 0,
    rowErrorsDeleted: 0,
    filesPurged: 0,
    orphanFilesDeleted: 0,
    jobsRemoved: 0,
    lineageDeleted: 0,
  });
  expect(await state()).toEqual(after);
  expect(writes().every((write) => write.rows === 0)).toBe(true);

  const listed = await h.http.get('/api/v1/cleanup-runs?limit=1').set(h.auth);
  expect(listed.status).toBe(200);
  const page = listed.body as Page<CleanupRunView>;
  expect(page.items).toHaveLength(1);
  expect(page.items[0]).toMatchObject({ id: second.id, trigger: 'manual', status: 'completed', counts: second.counts });
  const next = (await h.http.get(`/api/v1/cleanup-runs?limit=1&cursor=${page.nextCursor}`).set(h.auth)).body as Page<CleanupRunView>;
  expect(next.items[0]).toMatchObject({ id: first.id, counts: first.counts });
  expect(next.items[0]!.finishedAt).not.toBeNull();
  expect((await h.http.get('/api/v1/cleanup-runs?cursor=abc').set(h.auth)).status).toBe(400);
});

/** Lineage rows of an import: `companies` in import_lineage_companies, one in each other lineage table. */
async function addLineage(id: string, companies: number) {
  await h.db.pool.query(
    `INSERT INTO import_lineage_companies (import_id, siren, created) SELECT $1, lpad(n::text, 9, '0'), true FROM generate_series(1, $2) n`,
    [id, companies],
  );
  await h.db.pool.query(`INSERT INTO import_lineage_categories (import_id, nom_key, created) VALUES ($1, 'lineage', true)`, [id]);
  await h.db.pool.query(
    `INSERT INTO import_lineage_subcategories (import_id, category_id, nom_key, created) VALUES ($1, 1, 'lineage', true)`,
    [id],
  );
}

async function lineageOf(id: string): Promise<number> {
  let rows = 0;
  for (const table of LINEAGE_TABLES) {
    const { rows: counted } = await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE import_id = $1`, [id]);
    rows += counted[0]!.n;
  }
  return rows;
}

it('deletes the lineage of every import it deletes, of every lineage table, in bounded statements; keeps the lineage of the others', async () => {
  expect(LINEAGE_TABLES).toHaveLength(3);
  // No foreign key does it for the cleanup: the lineage tables have none to imports.
  const { rows: keys } = await h.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND confrelid = 'imports'::regclass AND conrelid::regclass::text = ANY($1::text[])`,
    [LINEAGE_TABLES],
  );
  expect(keys[0]!.n).toBe(0);
  // A failed import keeps its lineage (the journal of a retry) until the import itself is deleted.
  const oldFailed = await anImport('lineage-old-failed', { status: 'failed', ageDays: 100, purged: true });
  const recent = await anImport('lineage-recent', { status: 'failed', ageDays: 10, purged: true });
  await addLineage(oldFailed.id, 2_500);
  await addLineage(recent.id, 5);
  sent.length = 0;
  const run = await runCleanup(
    { pool: recordingPool(h.db.pool, sent), storageDir: h.storageDir, retention: { importsDays: 90, filesDays: 30, lineageDays: 30 } },
    'manual',
  );
  expect(run.status).toBe('completed');
  expect(run.counts).toMatchObject({ importsDeleted: 1, lineageDeleted: 2_502 });
  expect(await lineageOf(oldFailed.id)).toBe(0);
  expect(await lineageOf(recent.id)).toBe(7);
  expect(Math.max(...writes().map((write) => write.rows))).toBeLessThanOrEqual(CLEANUP_BATCH);

  // The statement that deletes imports deletes their lineage itself, whatever is left of it.
  const gone = await anImport('lineage-gone', { status: 'completed', ageDays: 100, purged: true });
  await addLineage(gone.id, 3);
  expect(await deleteOldImports(h.db.pool, new Date(Date.now() - 90 * DAY))).toBe(1);
  expect(await lineageOf(gone.id)).toBe(0);
  expect(await lineageOf(recent.id)).toBe(7);
});

it("a run that fails is recorded failed with a message in the product's words: the SQL stays in the thrown error", async () => {
  // A pool whose first delete is refused by the database, as a broken statement would be.
  const failing = {
    query: (text: unknown, values?: unknown) =>
      typeof text === 'object' && (text as { name?: string }).name === 'cleanup_delete_row_errors'
        ? h.db.pool.query('SELECT 1 / 0')
        : h.db.pool.query(text as string, values as unknown[]),
    connect: () => h.db.pool.connect(),
  } as unknown as typeof h.db.pool;
  const deps = { pool: failing, storageDir: h.storageDir, retention: { importsDays: 1, filesDays: 1, lineageDays: 1 } };
  await expect(runCleanup(deps, 'manual')).rejects.toThrow('division by zero');
  const listed = (await h.http.get('/api/v1/cleanup-runs?limit=1').set(h.auth)).body as Page<CleanupRunView>;
  expect(listed.items[0]).toMatchObject({ status: 'failed', trigger: 'manual' });
  expect(listed.items[0]!.error).toMatch(/^The cleanup stopped on an error/);
  expect(listed.items[0]!.error).not.toContain('division');
});

it('a run that finds another in progress is recorded as skipped and touches nothing', async () => {
  const holder = await h.db.pool.connect();
  try {
    await holder.query(`SELECT pg_advisory_lock(hashtext('importer:cleanup'))`);
    const skipped = await runCleanup(
      { pool: h.db.pool, storageDir: h.storageDir, retention: { importsDays: 1, filesDays: 1, lineageDays: 1 } },
      'schedule',
    );
    expect(skipped).toMatchObject({ status: 'skipped', trigger: 'schedule', counts: { importsDeleted: 0, filesPurged: 0 } });
  } finally {
    await holder.query(`SELECT pg_advisory_unlock(hashtext('importer:cleanup'))`);
    holder.release();
  }
});

it('removes finished BullMQ jobs once they are old: completed after 7 days, failed after 30 (clock moved)', async () => {
  const redis = createRedis(redisUrl());
  const queue = createCleanupQueue({ connection: redis, prefix: h.prefix });
  const worker = new Worker<CleanupPayload>(
    queue.name,
    (job) => {
      if (job.data.trigger === 'manual') return Promise.reject(new UnrecoverableError('boom'));
      return Promise.resolve('ok');
    },
    {
      connection: { host: new URL(redisUrl()).hostname, port: Number(new URL(redisUrl()).port || 6379), maxRetriesPerRequest: null },
      prefix: h.prefix,
    },
  );
  try {
    let finished = 0;
    const allFinished = new Promise<void>((resolve) => {
      const done = () => ++finished === 3 && resolve();
      worker.on('completed', done);
      worker.on('failed', done);
    });
    await queue.add('cleanup', { trigger: 'schedule' });
    await queue.add('cleanup', { trigger: 'schedule' });
    await queue.add('cleanup', { trigger: 'manual' });
    await allFinished;
    await worker.close();
    const sweepAt = (days: number) => {
      const now = new Date(Date.now() + days * DAY);
      return runCleanup(
        {
          pool: h.db.pool,
          storageDir: h.storageDir,
          retention: { importsDays: 90, filesDays: 30, lineageDays: 30 },
          now: () => now,
          sweepJobs: (at) => sweepFinishedJobs([queue], at),
        },
        'manual',
      );
    };

    expect((await sweepAt(0)).counts.jobsRemoved).toBe(0);
    expect((await sweepAt(8)).counts.jobsRemoved).toBe(2);
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 1 });
    expect((await sweepAt(31)).counts.jobsRemoved).toBe(1);
    expect((await sweepAt(31)).counts.jobsRemoved).toBe(0);
  } finally {
    await worker.close();
    await queue.close();
    redis.disconnect();
  }
});
