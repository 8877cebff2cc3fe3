import type { Pool, PoolClient } from '@importer/db';
import { runImport } from '@importer/imports';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { useEngineStage } from './support/engine-stage';

/**
 * An attempt that dies in the middle of an import (its connection lost before or after a chunk's commit)
 * and the attempt that resumes it, run directly on the engine: the resumed import must end exactly as an
 * uninterrupted one, also for keys whose rows sit on both sides of the interruption.
 */
const stage = useEngineStage();

class LostConnection extends Error {}

/**
 * A pool whose clients fail the n-th chunk: before sending its write, or once it is committed (after the
 * write when it stands alone, after the COMMIT when it needed a transaction).
 */
function failingPool(pool: Pool, nth: number, when: 'before' | 'after'): Pool {
  let chunks = 0;
  let inTransaction = false;
  const proxy = Object.create(pool) as Pool;
  // pg's Pool#query checks out through this.connect(callback): keep it on the real pool.
  proxy.query = pool.query.bind(pool);
  proxy.connect = (async () => {
    const client = await pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const failing = Object.create(client) as PoolClient;
    failing.query = (async (...args: unknown[]) => {
      const name = (args[0] as { name?: string } | undefined)?.name ?? '';
      const text = typeof args[0] === 'string' ? args[0] : '';
      if (text === 'BEGIN') inTransaction = true;
      if (name.startsWith('write_chunk_') && chunks + 1 === nth && when === 'before')
        throw new LostConnection('connection lost before the write');
      const result = await query(...args);
      const ended = (name.startsWith('write_chunk_') && !inTransaction) || (text === 'COMMIT' && inTransaction);
      if (text === 'COMMIT' || text === 'ROLLBACK') inTransaction = false;
      if (ended && ++chunks === nth && when === 'after') throw new LostConnection('connection lost after the commit');
      return result;
    }) as PoolClient['query'];
    failing.release = client.release.bind(client);
    return failing;
  }) as Pool['connect'];
  return proxy;
}

const engine = (pool: Pool) => stage.engine(500, pool);
const newImport = (rows: FixtureRow[]) => stage.newImport(toCsv(COMPANY_HEADERS, rows), 'resume.csv');

/** 1,200 records, chunks of 500; keys repeated in chunks 1, 2 and 3 (see write-duplicates.test.ts). */
function file(base: number): FixtureRow[] {
  const placed: Record<number, FixtureRow> = {
    10: companyRow(base + 5000, { nom: 'K1 premier', telephone: '01 11 11 11 11' }),
    20: companyRow(base + 10, { nom: 'K2 premier', telephone: '09 99 99 99 99' }),
    30: companyRow(base + 11),
    50: companyRow(base + 5001, { nom: 'K5 un' }),
    600: companyRow(base + 11, { nom: 'K3 second' }),
    610: companyRow(base + 5001, { nom: 'K5 deux' }),
    1100: companyRow(base + 5000, { nom: 'K1 second', telephone: '' }),
    1110: companyRow(base + 10, { nom: 'K2 second', telephone: '' }),
    1130: companyRow(base + 5001, { nom: 'K5 trois' }),
  };
  return Array.from({ length: 1200 }, (_, i) => placed[i] ?? companyRow(base + 6000 + i));
}

const snapshot = async (base: number) => {
  const { rows } = await stage.db.pool.query<{ siren: string; nom: string; telephone: string | null; is_active: boolean }>(
    `SELECT siren, nom, telephone, is_active FROM companies WHERE siren = ANY($1) ORDER BY siren`,
    [[10, 11, 5000, 5001].map((n) => sirenFor(base + n))],
  );
  return rows.map((row) => ({ ...row, siren: Number(row.siren) - Number(sirenFor(base)) }));
};

describe('resuming an interrupted import', () => {
  it.each([
    ['before', 3],
    ['after', 2],
  ] as const)('ends exactly as an uninterrupted import when the connection is lost %s chunk write %i', async (when, nth) => {
    const base = when === 'before' ? 100_000 : 200_000;
    await stage.db.pool.query(`TRUNCATE companies`);
    const existing = await newImport([companyRow(base + 10), companyRow(base + 11)]);
    await runImport(engine(stage.db.pool), existing);

    // The reference: the same file, uninterrupted, on the same starting table, then rolled back to it.
    const clean = await newImport(file(base));
    await runImport(engine(stage.db.pool), clean);
    const expected = { totals: (await stage.imports.find(clean))?.totals, stored: await snapshot(base) };
    await stage.db.pool.query(`DELETE FROM companies WHERE siren <> ALL($1)`, [[sirenFor(base + 10), sirenFor(base + 11)]]);
    await stage.db.pool.query(`UPDATE companies SET nom = $2, telephone = $3 WHERE siren = $1`, [
      sirenFor(base + 10),
      companyRow(base + 10).nom,
      companyRow(base + 10).telephone,
    ]);
    await stage.db.pool.query(`UPDATE companies SET nom = $2 WHERE siren = $1`, [sirenFor(base + 11), companyRow(base + 11).nom]);

    const id = await newImport(file(base));
    await expect(runImport(engine(failingPool(stage.db.pool, nth, when)), id)).rejects.toBeInstanceOf(LostConnection);
    const interrupted = await stage.imports.get(id);
    expect(interrupted).toMatchObject({ status: 'processing', checkpointRow: 1001 });

    expect(await runImport(engine(stage.db.pool), id)).toMatchObject({ status: 'completed' });
    const resumed = await stage.imports.find(id);
    expect(resumed?.totals).toEqual(expected.totals);
    expect(resumed?.totals).toEqual({ rows: 1200, created: 1193, updated: 2, unchanged: 0, skipped: 5, failed: 0, warnings: 5 });
    expect(await snapshot(base)).toEqual(expected.stored);
    expect(resumed?.attempts).toBe(2);
  });
});
