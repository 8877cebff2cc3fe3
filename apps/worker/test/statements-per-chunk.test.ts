import { finishRevert, startRevert } from '@importer/db';
import { runRevert } from '@importer/imports';
import { COMPANY_HEADERS, companyRow, recordingPool, statementsPerChunk, toCsv, type SentStatement } from '@importer/testing';
import { startHarness, type Harness } from './harness';

const lineageRows = async (h: Harness, importId: string) =>
  (await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_lineage_companies WHERE import_id = $1`, [importId]))
    .rows[0]!.n;

/**
 * Imports `rows` new companies with the worker's engine on a recording pool, then the same companies with
 * every row changed, then reverts that second import: the statements per chunk of each.
 */
async function chunksOfImport(chunkSize: number, rows: number) {
  const sent: SentStatement[] = [];
  const h = await startHarness({ chunkSize, wrapEnginePool: (pool) => recordingPool(pool, sent) });
  try {
    const csv = toCsv(
      COMPANY_HEADERS,
      Array.from({ length: rows }, (_, n) => companyRow(n)),
    );
    const result = await h.importFile(csv, 'companies.csv', { profile: 'companies' });
    expect(result.totals).toMatchObject({ rows, created: rows, failed: 0 });
    // The lineage of copied rows is written by the statement that records them: one row per key.
    expect(await lineageRows(h, result.id)).toBe(rows);
    const created = statementsPerChunk(sent.splice(0));

    const changed = toCsv(
      COMPANY_HEADERS,
      Array.from({ length: rows }, (_, n) => companyRow(n, { nom: `Société ${n} modifiée`, telephone: '09 87 65 43 21' })),
    );
    const update = await h.importFile(changed, 'changed.csv', { profile: 'companies' });
    expect(update.totals).toMatchObject({ rows, updated: rows, failed: 0 });
    expect(await lineageRows(h, update.id)).toBe(rows);
    const updated = statementsPerChunk(sent.splice(0));

    // The revert, run by the engine on the same recording pool: one statement per chunk.
    expect((await startRevert(h.db.pool, update.id, { retainDays: 30, requestedBy: 'test' })).outcome).toBe('done');
    const reverting = recordingPool(h.db.pool, sent);
    expect(await runRevert({ pool: reverting, imports: h.imports, chunkSize }, update.id)).toEqual({ status: 'reverted' });
    const names = sent.map((statement) => statement.name ?? statement.text.trim().split(/\s/)[0]);
    const revertChunks = names.filter((name) => name?.startsWith('revert_chunk_')).length;
    expect(names.length - revertChunks).toBeLessThanOrEqual(2); // counting its keys once, and its end
    expect(await finishRevert(h.db.pool, update.id)).toBe(false); // already reverted by the run
    return { created, updated, revertChunks };
  } finally {
    await h.close();
  }
}

describe('SQL statements per chunk', () => {
  it('stay constant (at most 5) whatever the number of rows in a chunk, lineage included, for a 10,000-row import, an update of it and its revert', async () => {
    const small = await chunksOfImport(500, 10_000);
    const large = await chunksOfImport(2_500, 10_000);
    expect(small.created).toHaveLength(20);
    expect(large.created).toHaveLength(4);
    // New companies are copied in: BEGIN, COPY, the statement that records the chunk (journal, lineage, row
    // errors, totals, checkpoint), COMMIT; the first chunk also sends one look-up for its unseen NAF codes.
    expect(Math.max(...small.created)).toBeLessThanOrEqual(5);
    expect(Math.max(...large.created)).toBe(Math.max(...small.created));
    expect(small.created.slice(1).every((count) => count === 4)).toBe(true);
    expect(large.created.slice(1).every((count) => count === 4)).toBe(true);
    // Updated rows: BEGIN, COPY into the staging table, the upsert (with the before-images in its lineage,
    // the journal, totals and checkpoint), COMMIT; the first chunk a look-up more.
    expect(small.updated.slice(1).every((count) => count === 4)).toBe(true);
    expect(large.updated.slice(1).every((count) => count === 4)).toBe(true);
    // The revert: one statement per chunk of keys (and one that finds none left when they divide evenly).
    expect(small.revertChunks).toBeLessThanOrEqual(10_000 / 500 + 1);
    expect(large.revertChunks).toBeLessThanOrEqual(10_000 / 2_500 + 1);
    console.log(
      `statements per chunk: 500 rows → [${small.created.join(', ')}], updates [${small.updated.join(', ')}], ${small.revertChunks} revert chunks; ` +
        `2,500 rows → [${large.created.join(', ')}], updates [${large.updated.join(', ')}], ${large.revertChunks} revert chunks`,
    );
  });
});
