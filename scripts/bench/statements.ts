/**
 * SQL statements per chunk, measured in process: the import engine runs on a pool that records every
 * statement it sends, and the statements are cut into chunks at each chunk's write (both from
 * @importer/testing, the helpers the statements-per-chunk test counts with).
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImportLimits } from '@importer/config';
import { createImportsRepository, createPrisma, type Pool } from '@importer/db';
import { runImport } from '@importer/imports';
import { recordImport, recordingPool, statementsPerChunk, type SentStatement } from '@importer/testing';

/** Imports `csvFile` (companies) in process at each chunk size; the statements of each chunk. */
export async function measureStatements(
  pool: Pool,
  csvFile: string,
  chunkSizes: readonly number[],
  limits: ImportLimits,
): Promise<Map<number, number[]>> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'importer-bench-'));
  const prisma = createPrisma(pool);
  const imports = createImportsRepository(prisma, pool);
  const result = new Map<number, number[]>();
  try {
    await symlink(path.resolve(csvFile), path.join(storageDir, 'companies.csv'));
    for (const chunkSize of chunkSizes) {
      await pool.query('TRUNCATE "companies", "imports" CASCADE');
      const id = await recordImport(pool, { fileKey: 'companies.csv', createdBy: 'bench' });
      const sent: SentStatement[] = [];
      await runImport({ pool: recordingPool(pool, sent), imports, storageDir, limits, chunkSize }, id);
      result.set(chunkSize, statementsPerChunk(sent));
    }
  } finally {
    await prisma.$disconnect();
    await rm(storageDir, { recursive: true, force: true });
  }
  return result;
}
