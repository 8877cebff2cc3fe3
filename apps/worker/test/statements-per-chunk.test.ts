import type { Pool, PoolClient } from '@importer/db';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startHarness } from './harness';

/**
 * Records the SQL statements the import engine sends for its chunks — look-ups (on the pool), the chunk's
 * write, and, when a chunk needs a transaction, BEGIN, the undo statement and COMMIT (on the connection the
 * engine holds for the import) — and cuts them into chunks: a chunk ends with its write, or with the
 * COMMIT after it.
 */
function countingPool(chunks: number[]) {
  let current = 0;
  let inTransaction = false;
  const record = (query: unknown) => {
    // A COPY is a stream object carrying its statement in `text`.
    const text = typeof query === 'string' ? query.trim() : ((query as { text?: string }).text ?? '');
    const name = typeof query === 'string' ? '' : ((query as { name?: string }).name ?? '');
    if (text === 'BEGIN') {
      inTransaction = true;
      current++;
    } else if (text === 'COMMIT' || text === 'ROLLBACK') {
      current++;
      if (inTransaction) {
        chunks.push(current);
        current = 0;
      }
      inTransaction = false;
    } else if (/^(lookup_|undo_superseded_)/.test(name) || text.startsWith('COPY ')) {
      current++;
    } else if (name.startsWith('write_chunk_')) {
      current++;
      if (!inTransaction) {
        chunks.push(current);
        current = 0;
      }
    }
  };
  return <P>(pool: P): P => {
    const real = pool as unknown as Pool;
    const proxy = Object.create(real) as Pool;
    proxy.query = ((...args: Parameters<Pool['query']>) => {
      record(args[0]);
      return (real.query as (...a: unknown[]) => unknown).apply(real, args);
    }) as Pool['query'];
    proxy.connect = (async () => {
      const client = await real.connect();
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      const counted = Object.create(client) as PoolClient;
      counted.query = ((...args: unknown[]) => {
        record(args[0]);
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
    // New companies are copied in: BEGIN, COPY, the statement that records the chunk (journal, row errors,
    // totals, checkpoint), COMMIT; the first chunk also sends one look-up for its unseen NAF codes.
    expect(Math.max(...small)).toBeLessThanOrEqual(5);
    expect(Math.max(...large)).toBe(Math.max(...small));
    expect(small.slice(1).every((count) => count === 4)).toBe(true);
    expect(large.slice(1).every((count) => count === 4)).toBe(true);
    console.log(`statements per chunk: 500 rows → [${small.join(', ')}]; 2,500 rows → [${large.join(', ')}]`);
  });
});
