import { COMPANY_HEADERS, companyRow, recordingPool, statementsPerChunk, toCsv, type SentStatement } from '@importer/testing';
import { startHarness } from './harness';

/** Imports `rows` new companies with the worker's engine on a recording pool; its statements per chunk. */
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
    return statementsPerChunk(sent);
  } finally {
    await h.close();
  }
}

describe('SQL statements per chunk', () => {
  it('stay constant (at most 5) whatever the number of rows in a chunk, for a 10,000-row import', async () => {
    const small = await chunksOfImport(500, 10_000);
    const large = await chunksOfImport(2_500, 10_000);
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
