import type { ChunkSizing } from '@importer/config';
import { startRevert, type Pool } from '@importer/db';
import { runImport, runRevert, type CommittedChunk, type ImportEngineDeps } from '@importer/imports';
import { recordingPool, statementsPerChunk, type SentStatement } from '@importer/testing';
import { useEngineStage } from './support/engine-stage';
import { companiesCsv, companiesFingerprint, rowErrorsFingerprint } from './support/fixtures';

/**
 * The adaptive chunk size, on the engine in process: on a fast table the chunks grow from the initial size,
 * stay within the bounds, and the import ends exactly as one with a pinned size, in the same number of
 * statements per chunk; a retried attempt starts again at the minimum and still ends exact; a revert sized
 * the same way undoes it.
 */
const stage = useEngineStage();
const { engine, newImport } = stage;

const ROWS = 30_000;
const csv = companiesCsv(ROWS);
// A target no chunk of this file misses, even on a busy machine: every commit is "fast", so the sizes grow by
// the rule alone, never by how loaded the machine happens to be (the sizer's own rules: chunk-size.test.ts).
const ADAPTIVE: ChunkSizing = { initial: 1_000, min: 100, max: 4_000, targetMs: 60_000 };

/** Runs an import on an empty table; what it stored, and the rows of each chunk it committed. */
async function importOnEmptyTable(chunkSize: ImportEngineDeps['chunkSize'], pool?: Pool) {
  await stage.db.pool.query(`TRUNCATE companies`);
  const id = await newImport(csv, 'companies.csv');
  const chunks: CommittedChunk[] = [];
  const outcome = await runImport({ ...engine(chunkSize, pool), onChunkCommitted: (chunk) => chunks.push(chunk) }, id);
  const record = await stage.imports.find(id);
  return {
    outcome,
    totals: record?.totals,
    companies: await companiesFingerprint(stage.db.pool),
    errors: await rowErrorsFingerprint(stage.db.pool, id),
    chunkRows: chunks.map(({ rows }) => rows.created + rows.updated + rows.unchanged + rows.skipped + rows.failed),
  };
}

describe('adaptive chunk size', () => {
  it('grows from the initial size while chunks are fast, within its bounds, and ends exactly as a pinned size in as many statements per chunk', async () => {
    const pinnedSent: SentStatement[] = [];
    const pinned = await importOnEmptyTable(1_000, recordingPool(stage.db.pool, pinnedSent));
    const sent: SentStatement[] = [];
    const adaptive = await importOnEmptyTable(ADAPTIVE, recordingPool(stage.db.pool, sent));

    expect(adaptive.outcome.status).toBe('completed_with_errors');
    expect(adaptive.totals).toEqual(pinned.totals);
    expect(adaptive.totals?.rows).toBe(ROWS);
    expect(adaptive.companies).toEqual(pinned.companies);
    expect(adaptive.errors).toEqual(pinned.errors);

    // Every chunk commits well within the target: the sizes grow, up to the bound.
    const chosen = 'chunkRows' in adaptive.outcome ? adaptive.outcome.chunkRows : null;
    expect(chosen).not.toBeNull();
    expect(adaptive.chunkRows[0]).toBe(ADAPTIVE.initial);
    expect(chosen!.min).toBeGreaterThanOrEqual(ADAPTIVE.min);
    expect(chosen!.max).toBeGreaterThan(ADAPTIVE.initial);
    expect(chosen!.max).toBeLessThanOrEqual(ADAPTIVE.max);
    expect(chosen!.chunks).toBe(adaptive.chunkRows.length);
    // Each chunk holds at most the size chosen for it (a read batch that would overfill it is split), all
    // but the last exactly that size; every row is in one chunk.
    expect(adaptive.chunkRows.slice(0, -1).every((rows) => rows >= ADAPTIVE.min && rows <= ADAPTIVE.max && rows % 100 === 0)).toBe(true);
    expect(adaptive.chunkRows.reduce((sum, rows) => sum + rows, 0)).toBe(ROWS);
    expect(adaptive.chunkRows.length).toBeLessThan(pinned.chunkRows.length);

    // Statements per chunk: bounded as with a pinned size, whatever the sizes.
    const adaptiveStatements = statementsPerChunk(sent);
    const pinnedStatements = statementsPerChunk(pinnedSent);
    expect(adaptiveStatements).toHaveLength(adaptive.chunkRows.length);
    expect(Math.max(...adaptiveStatements)).toBeLessThanOrEqual(Math.max(...pinnedStatements));
    expect(Math.max(...adaptiveStatements)).toBeLessThanOrEqual(5);
    console.log(
      `adaptive chunk rows: [${adaptive.chunkRows.join(', ')}] (${JSON.stringify(chosen)}), statements [${adaptiveStatements.join(', ')}]; ` +
        `pinned 1,000: ${pinned.chunkRows.length} chunks, statements max ${Math.max(...pinnedStatements)}`,
    );
  });

  it('starts a retried attempt at the minimum, the resumed import ends exactly as an uninterrupted one, and its revert undoes it', async () => {
    const reference = await importOnEmptyTable(ADAPTIVE);

    await stage.db.pool.query(`TRUNCATE companies`);
    const id = await newImport(csv, 'companies.csv');
    // The first attempt stops after its third chunk (as at a shutdown or a timeout), its checkpoint kept.
    const stop = new AbortController();
    let committed = 0;
    const deps = engine(ADAPTIVE);
    const first = runImport({ ...deps, onChunkCommitted: () => ++committed === 3 && stop.abort(new Error('stopped')) }, id, {
      signal: stop.signal,
    });
    await expect(first).rejects.toThrow('stopped');
    const stopped = await stage.imports.get(id);
    expect(stopped).toMatchObject({ status: 'processing', attempts: 1 });
    expect(stopped!.checkpointRow).toBeGreaterThan(1);
    expect(stopped!.checkpointRow).toBeLessThan(ROWS + 1);

    const resumed = await runImport(deps, id);
    expect(resumed).toMatchObject({ status: 'completed_with_errors', chunkRows: { min: ADAPTIVE.min } });
    const record = await stage.imports.find(id);
    expect(record?.attempts).toBe(2);
    expect(record?.totals).toEqual(reference.totals);
    expect(await companiesFingerprint(stage.db.pool)).toEqual(reference.companies);
    expect(await rowErrorsFingerprint(stage.db.pool, id)).toEqual(reference.errors);

    // Its revert, in chunks sized the same way: every row it created is gone, each counted once.
    expect((await startRevert(stage.db.pool, id, { retainDays: 30, requestedBy: 'test' })).outcome).toBe('done');
    expect(await runRevert({ pool: stage.db.pool, imports: stage.imports, chunkSize: ADAPTIVE }, id)).toEqual({ status: 'reverted' });
    expect((await stage.imports.find(id))?.revert).toMatchObject({ reverted: record!.totals.created, kept: 0, failed: 0 });
    expect((await companiesFingerprint(stage.db.pool)).rows).toBe(0);
  });
});
