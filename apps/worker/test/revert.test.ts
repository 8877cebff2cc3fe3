/**
 * Reverting an import (docs/write-semantics.md, "Lineage and revert"), through the HTTP API and compiled
 * worker processes: every updated row gets back every column it had before the import, every created row is
 * deleted, rows changed since by a later import are kept and counted, referenced rows are counted as failed,
 * a dry run changes nothing and reports the same counts, and a revert killed mid-way resumes and ends exact.
 */
import type { ErrorBody, ImportView, RevertPreview } from '@importer/contracts';
import { startRevert } from '@importer/db';
import { runCleanup } from '@importer/imports';
import { createRedis, createRevertsQueue, type RevertsQueue } from '@importer/queue';
import {
  CATEGORY_HEADERS,
  COMPANY_HEADERS,
  companyRow,
  redisUrl,
  siretFor,
  SUBCATEGORY_HEADERS,
  toCsv,
  type FixtureRow,
  pollUntil,
} from '@importer/testing';
import { nextChunksBy, revertChunkCommitted, startFaultHarness, type FaultHarness } from './support/fault-harness';
import type { Redis } from 'ioredis';

const HEADERS = [...COMPANY_HEADERS, 'date_creation', 'categorie', 'sous_categorie'];

/** The n-th company as first stored: in the subcategory Logiciels, created 2020-01-15. */
const seeded = (n: number): FixtureRow =>
  companyRow(n, { date_creation: '2020-01-15', categorie: 'Informatique', sous_categorie: 'Logiciels' });

/** The n-th company with every column changed (the key aside), `tag` telling versions apart. */
const changed = (n: number, tag: string): FixtureRow =>
  companyRow(n + 700_000, {
    siren: companyRow(n).siren as string,
    siret: siretFor(companyRow(n).siren as string, 2),
    nom: `Société ${n} ${tag}`,
    is_active: n % 7 === 0 ? 'oui' : 'non',
    date_creation: '2023-06-30',
    categorie: 'Commerce',
    sous_categorie: 'Gros',
  });

const csv = (rows: FixtureRow[]) => toCsv(HEADERS, rows);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every column of every company (ids and timestamps included), in id order: what a revert must give back. */
async function snapshot(h: FaultHarness): Promise<Record<string, unknown>[]> {
  const { rows } = await h.db.pool.query<Record<string, unknown>>(`SELECT * FROM companies ORDER BY id`);
  return rows;
}

async function revert(h: FaultHarness, id: string, body?: object) {
  const request = h.http.post(`/api/v1/imports/${id}/revert`).set(h.auth);
  return body ? request.send(body) : request;
}

/** Waits until the import has `status` (polled in PostgreSQL, with a deadline). */
function waitForStatus(h: FaultHarness, id: string, status: string, timeoutMs = 120_000): Promise<ImportView> {
  return pollUntil(
    () => h.record(id),
    (view) => view.status === status,
    `import ${id} ${status}`,
    { timeoutMs },
  );
}

/** Starts the revert and waits for its end: the import as it is then. */
async function revertAndWait(h: FaultHarness, id: string): Promise<ImportView> {
  const started = await revert(h, id);
  expect(started.status).toBe(202);
  expect((started.body as ImportView).status).toBe('reverting');
  return waitForStatus(h, id, 'reverted');
}

async function seedTaxonomy(h: FaultHarness): Promise<void> {
  const categories = await h.importFile(
    toCsv(CATEGORY_HEADERS, [
      { nom: 'Informatique', description: 'Numérique', meta_description: null, ordre: 1 },
      { nom: 'Commerce', description: 'Négoce', meta_description: null, ordre: 2 },
    ]),
    'categories.csv',
    { profile: 'categories' },
  );
  expect(categories.status).toBe('completed');
  const subcategories = await h.importFile(
    toCsv(SUBCATEGORY_HEADERS, [
      { nom: 'Logiciels', categorie: 'Informatique', description: null, meta_description: null, mots_cles: null, ordre: 1 },
      { nom: 'Gros', categorie: 'Commerce', description: null, meta_description: null, mots_cles: null, ordre: 1 },
    ]),
    'subcategories.csv',
    { profile: 'subcategories' },
  );
  expect(subcategories.status).toBe('completed');
}

describe('reverting an import', () => {
  let h: FaultHarness;
  let reverts: RevertsQueue;
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(redisUrl());
    h = await startFaultHarness({ chunkSize: 500, fastHandover: false });
    reverts = createRevertsQueue({ connection: redis, prefix: h.prefix });
    await h.startWorker('w1');
    await seedTaxonomy(h);
    const seed = await h.importFile(csv(range(0, 2000).map(seeded)), 'seed.csv', { profile: 'companies' });
    expect(seed.totals).toMatchObject({ created: 2000, failed: 0 });
  });
  afterAll(async () => {
    await reverts?.obliterate({ force: true }).catch(() => undefined);
    await reverts?.close();
    redis?.disconnect();
    await h?.close();
  });

  it('gives every updated row every column back and deletes every created row, duplicate keys included; a dry run first changes nothing', async () => {
    const before = await snapshot(h);
    // 1,500 rows changed in every column, 500 new ones; n = 10 twice (rows 12 and 1,902: chunks 1 and 4),
    // the later row superseding the earlier one, which the revert must see through.
    const rows = [...range(0, 1500).map((n) => changed(n, 'v1')), ...range(5000, 5500).map(seeded)];
    rows.splice(1900, 0, changed(10, 'v2'));
    const imported = await h.importFile(csv(rows), 'changes.csv', { profile: 'companies' });
    expect(imported.totals).toEqual({ rows: 2001, created: 500, updated: 1500, unchanged: 0, skipped: 1, failed: 0, warnings: 1 });
    const after = await snapshot(h);
    expect(after.find((row) => row.siren === companyRow(10).siren)).toMatchObject({ nom: 'Société 10 v2' });

    const preview = await revert(h, imported.id, { dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body as RevertPreview).toEqual({
      dryRun: true,
      reverted: 2000,
      kept: 0,
      failed: 0,
      failures: { referenced: 0, missing: 0 },
    });
    expect(await snapshot(h)).toEqual(after);
    expect((await h.record(imported.id)).status).toBe('completed');

    const done = await revertAndWait(h, imported.id);
    expect(done.revert).toMatchObject({ reverted: 2000, kept: 0, failed: 0, rows: 2000, processedRows: 2000, requestedBy: 'faults' });
    expect(done.revert?.finishedAt).not.toBeNull();
    expect(done.totals).toEqual(imported.totals); // the import's own record stays as it was
    const reverted = await snapshot(h);
    expect(reverted.length).toBe(before.length);
    // Column by column, row by row: ids, created_at and updated_at included.
    for (const [n, row] of reverted.entries()) expect(row).toEqual(before[n]);

    const again = await revert(h, imported.id);
    expect(again.status).toBe(409);
    expect((again.body as ErrorBody).error.code).toBe('already_reverted');
  });

  it('keeps, and counts, rows a later import changed; the dry run reports the same counts', async () => {
    const before = await snapshot(h);
    const first = await h.importFile(csv(range(0, 300).map((n) => changed(n, 'first'))), 'first.csv', { profile: 'companies' });
    expect(first.totals.updated).toBe(300);
    const later = await h.importFile(csv(range(0, 40).map((n) => changed(n, 'later'))), 'later.csv', { profile: 'companies' });
    expect(later.totals.updated).toBe(40);
    const afterLater = await snapshot(h);

    const preview = (await revert(h, first.id, { dryRun: true })).body as RevertPreview;
    expect(preview).toEqual({ dryRun: true, reverted: 260, kept: 40, failed: 0, failures: { referenced: 0, missing: 0 } });
    const done = await revertAndWait(h, first.id);
    expect(done.revert).toMatchObject({ reverted: preview.reverted, kept: preview.kept, failed: preview.failed });

    const laterSirens = new Set(range(0, 40).map((n) => companyRow(n).siren));
    const expected = before.map((row) => (laterSirens.has(row.siren as string) ? afterLater.find((x) => x.id === row.id) : row));
    expect(await snapshot(h)).toEqual(expected);

    // Reverting the later import now gives those 40 rows back their values from before it: the first import's.
    const undone = await revertAndWait(h, later.id);
    expect(undone.revert).toMatchObject({ reverted: 40, kept: 0, failed: 0 });
  });

  it('counts a created row that other rows reference now as failed, and keeps it', async () => {
    const categories = await h.importFile(
      toCsv(CATEGORY_HEADERS, [
        { nom: 'Référencée', description: null, meta_description: null, ordre: 3 },
        { nom: 'Seule', description: null, meta_description: null, ordre: 4 },
      ]),
      'more-categories.csv',
      { profile: 'categories' },
    );
    expect(categories.totals.created).toBe(2);
    const subcategories = await h.importFile(
      toCsv(SUBCATEGORY_HEADERS, [
        { nom: 'Fille', categorie: 'Référencée', description: null, meta_description: null, mots_cles: null, ordre: 1 },
      ]),
      'child.csv',
      { profile: 'subcategories' },
    );
    expect(subcategories.totals.created).toBe(1);

    const preview = (await revert(h, categories.id, { dryRun: true })).body as RevertPreview;
    expect(preview).toEqual({ dryRun: true, reverted: 1, kept: 0, failed: 1, failures: { referenced: 1, missing: 0 } });
    const done = await revertAndWait(h, categories.id);
    expect(done.revert).toMatchObject({ reverted: 1, kept: 0, failed: 1, failures: { referenced: 1, missing: 0 } });
    const { rows } = await h.db.pool.query<{ nom: string }>(`SELECT nom FROM categories WHERE nom IN ('Référencée', 'Seule') ORDER BY nom`);
    expect(rows).toEqual([{ nom: 'Référencée' }]);
    const { rows: children } = await h.db.pool.query(`SELECT 1 FROM subcategories WHERE nom = 'Fille'`);
    expect(children).toHaveLength(1);

    // Subcategories (a two-column key, a NAF list): a created one deleted, an updated one given back every column.
    const subcategoriesBefore = (await h.db.pool.query(`SELECT * FROM subcategories ORDER BY id`)).rows;
    const headers = [...SUBCATEGORY_HEADERS, 'naf_codes'];
    const update = await h.importFile(
      toCsv(headers, [
        {
          nom: 'GROS',
          categorie: 'Commerce',
          description: 'Négoce de gros',
          meta_description: 'Gros',
          mots_cles: 'b2b',
          ordre: 9,
          naf_codes: '46.90Z',
        },
        { nom: 'Détail', categorie: 'Commerce', description: null, meta_description: null, mots_cles: null, ordre: 2, naf_codes: '47.11B' },
      ]),
      'subcategories-update.csv',
      { profile: 'subcategories' },
    );
    expect(update.totals).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect((await revertAndWait(h, update.id)).revert).toMatchObject({ reverted: 2, kept: 0, failed: 0 });
    expect((await h.db.pool.query(`SELECT * FROM subcategories ORDER BY id`)).rows).toEqual(subcategoriesBefore);
  });

  it('refuses, with 409 and a code saying why, a failed import, a dry run, an unfinished one, and one past RETAIN_LINEAGE_DAYS', async () => {
    const failed = await h.importFile('nom\nSans siren\n', 'bad.csv', { profile: 'companies' });
    expect(failed.status).toBe('failed');
    const dry = await h.importFile(csv([changed(1, 'dry')]), 'dry.csv', { profile: 'companies', dryRun: 'true' });
    expect(dry.status).toBe('completed');
    const old = await h.importFile(csv([changed(2, 'old')]), 'old.csv', { profile: 'companies' });
    await h.db.pool.query(`UPDATE imports SET finished_at = now() - interval '31 days' WHERE id = $1`, [old.id]);

    for (const [id, code] of [
      [failed.id, 'import_failed'],
      [dry.id, 'dry_run_import'],
      [old.id, 'lineage_expired'],
    ] as const) {
      for (const body of [undefined, { dryRun: true }]) {
        const answer = await revert(h, id, body);
        expect({ status: answer.status, code: (answer.body as ErrorBody).error.code }).toEqual({ status: 409, code });
        expect((answer.body as ErrorBody).error.message).toMatch(/cannot be reverted|nothing to revert/);
      }
    }
    expect((await h.record(failed.id)).status).toBe('failed');
    expect((await h.record(old.id)).status).toBe('completed');

    const invalid = await revert(h, old.id, { dryRun: 'yes' });
    expect({ status: invalid.status, code: (invalid.body as ErrorBody).error.code }).toEqual({
      status: 400,
      code: 'invalid_revert_request',
    });
  });

  it('lets the nightly cleanup remove expired lineage, in bounded statements; the import can then no longer be reverted', async () => {
    const imported = await h.importFile(csv(range(0, 1200).map((n) => changed(n, 'expiring'))), 'expiring.csv', { profile: 'companies' });
    const lineage = async () =>
      (await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_lineage_companies WHERE import_id = $1`, [imported.id]))
        .rows[0]!.n;
    expect(await lineage()).toBe(1200);
    // Within RETAIN_LINEAGE_DAYS: kept.
    await runCleanup(
      { pool: h.db.pool, storageDir: h.storageDir, retention: { importsDays: 90, filesDays: 30, lineageDays: 30 } },
      'manual',
    );
    expect(await lineage()).toBe(1200);
    await h.db.pool.query(`UPDATE imports SET finished_at = now() - interval '31 days' WHERE id = $1`, [imported.id]);
    const run = await runCleanup(
      { pool: h.db.pool, storageDir: h.storageDir, retention: { importsDays: 90, filesDays: 30, lineageDays: 30 } },
      'manual',
    );
    expect(run.counts.lineageDeleted).toBe(1200);
    expect(await lineage()).toBe(0);
    const answer = await revert(h, imported.id);
    expect((answer.body as ErrorBody).error.code).toBe('lineage_expired');
  });
});

it('resumes a revert whose worker was killed (SIGKILL) mid-way, and ends exact, counting nothing twice', async () => {
  const ROWS = 30_000;
  const h = await startFaultHarness({ chunkSize: 200, workerEnv: { WORKER_MAX_STALLED: '100' } });
  const redis = createRedis(redisUrl());
  const reverts = createRevertsQueue({ connection: redis, prefix: h.prefix });
  try {
    let workers = [await h.startWorker('k1'), await h.startWorker('k2')];
    await seedTaxonomy(h);
    await h.importFile(csv(range(0, ROWS).map(seeded)), 'seed.csv', { profile: 'companies' });
    const before = await snapshot(h);
    const imported = await h.importFile(
      csv([...range(0, ROWS).map((n) => changed(n, 'big')), ...range(ROWS, ROWS + 2000).map(seeded)]),
      'big.csv',
      { profile: 'companies' },
    );
    expect(imported.totals).toMatchObject({ updated: ROWS, created: 2000, failed: 0 });

    expect((await revert(h, imported.id)).status).toBe(202);
    const runner = await nextChunksBy(workers, imported.id, 20, 120_000, revertChunkCommitted);
    runner.signal('SIGKILL');
    expect((await runner.exited).signal).toBe('SIGKILL');
    const { rows } = await h.db.pool.query<{ processed: number; status: string }>(
      `SELECT revert_processed AS processed, status FROM imports WHERE id = $1`,
      [imported.id],
    );
    expect(rows[0]).toMatchObject({ status: 'reverting' });
    expect(rows[0]!.processed).toBeLessThan(ROWS + 2000);
    workers = [...workers.filter((worker) => worker !== runner), await h.startWorker('k3')];

    const done = await waitForStatus(h, imported.id, 'reverted', 300_000);
    expect(done.revert).toMatchObject({ reverted: ROWS + 2000, kept: 0, failed: 0, rows: ROWS + 2000, processedRows: ROWS + 2000 });
    const after = await snapshot(h);
    expect(after.length).toBe(before.length);
    for (const [n, row] of after.entries()) expect(row).toEqual(before[n]);
  } finally {
    await reverts.obliterate({ force: true }).catch(() => undefined);
    await reverts.close();
    redis.disconnect();
    await h.close();
  }
});

it('gives a reverting import whose job Redis lost a job again (the reconciler), and the revert ends', async () => {
  const h = await startFaultHarness({ chunkSize: 100 });
  const redis = createRedis(redisUrl());
  const reverts = createRevertsQueue({ connection: redis, prefix: h.prefix });
  try {
    await h.startWorker('r1');
    await seedTaxonomy(h);
    const before = await snapshot(h);
    const imported = await h.importFile(csv(range(0, 300).map(seeded)), 'lost.csv', { profile: 'companies' });
    // The revert is started as the API starts it, but its job never reaches Redis.
    expect(await startRevert(h.db.pool, imported.id, { retainDays: 30, requestedBy: 'test' })).toEqual({ outcome: 'done' });
    const done = await waitForStatus(h, imported.id, 'reverted');
    expect(done.revert).toMatchObject({ reverted: 300, kept: 0, failed: 0 });
    expect(await snapshot(h)).toEqual(before);
  } finally {
    await reverts.obliterate({ force: true }).catch(() => undefined);
    await reverts.close();
    redis.disconnect();
    await h.close();
  }
});
