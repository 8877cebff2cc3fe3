import type { Pool, PoolClient } from '@importer/db';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startHarness } from './harness';

/**
 * Counts the SQL statements the import engine sends, grouped by chunk: every chunk checks out one client
 * for its transaction; look-ups sent through the pool before it belong to it.
 */
function countingPool(chunks: number[]) {
  let lookupsSinceLastChunk = 0;
  return <P>(pool: P): P => {
    const real = pool as unknown as Pool;
    const proxy = Object.create(real) as Pool;
    proxy.query = ((...args: Parameters<Pool['query']>) => {
      lookupsSinceLastChunk++;
      return (real.query as (...a: unknown[]) => unknown)(...args);
    }) as Pool['query'];
    proxy.connect = (async () => {
      const client = await real.connect();
      const index = chunks.push(lookupsSinceLastChunk) - 1;
      lookupsSinceLastChunk = 0;
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      const counted = Object.create(client) as PoolClient;
      counted.query = ((...args: unknown[]) => {
        chunks[index] = (chunks[index] ?? 0) + 1;
        return query(...args);
      }) as PoolClient['query'];
      counted.release = client.release.bind(client);
      return counted;
    }) as Pool['connect'];
    return proxy as unknown as P;
  };
}

async function statementsPerChunk(chunkSize: number, rows: number) {
  const chunks: number[] = [];
  const h = await startHarness({ chunkSize, wrapEnginePool: countingPool(chunks) });
  try {
    const csv = toCsv(COMPANY_HEADERS, Array.from({ length: rows }, (_, n) => companyRow(n)));
    const result = await h.importFile(csv, 'companies.csv', { profile: 'companies' });
    expect(result.totals).toMatchObject({ rows, created: rows, failed: 0 });
    return chunks;
  } finally {
    await h.close();
  }
}

describe('SQL statements per chunk', () => {
  it('stay constant (at most 5) whatever the number of rows in a chunk, for a 10,000-row import', async () => {
    const small = await statementsPerChunk(500, 10_000);
    const large = await statementsPerChunk(2_500, 10_000);
    expect(small).toHaveLength(20);
    expect(large).toHaveLength(4);
    // BEGIN, upsert, record chunk (errors + totals + checkpoint), COMMIT; plus one look-up for unseen NAF codes.
    expect(Math.max(...small)).toBeLessThanOrEqual(5);
    expect(Math.max(...large)).toBe(Math.max(...small));
    expect(small.slice(1).every((count) => count === 4)).toBe(true);
    expect(large.slice(1).every((count) => count === 4)).toBe(true);
    console.log(`statements per chunk: 500 rows → [${small.join(', ')}]; 2,500 rows → [${large.join(', ')}]`);
  });
});
