/**
 * SQL statements per chunk, measured in process: the import engine runs on a pool that records every
 * statement it sends, and the statements are cut into chunks at each chunk's write.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImportsRepository, createPrisma, type Pool, type PoolClient } from '@importer/db';
import { runImport } from '@importer/imports';
import type { ImportLimits } from '@importer/config';

interface Sent {
  text: string;
  name: string | undefined;
}

/** A pool whose `query` and whose clients' `query` record what they send. */
function recordingPool(pool: Pool, sent: Sent[]): Pool {
  const record = (args: unknown[]) => {
    const [first] = args;
    const query = typeof first === 'string' ? { text: first, name: undefined } : (first as { text?: string; name?: string });
    sent.push({ text: query.text ?? '', name: query.name });
  };
  const proxy = Object.create(pool) as Pool;
  proxy.query = ((...args: unknown[]) => {
    record(args);
    return (pool.query as (...a: unknown[]) => unknown)(...args);
  }) as Pool['query'];
  proxy.connect = (async () => {
    const client = await pool.connect();
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    const counted = Object.create(client) as PoolClient;
    counted.query = ((...args: unknown[]) => {
      record(args);
      return query(...args);
    }) as PoolClient['query'];
    counted.release = client.release.bind(client);
    return counted;
  }) as Pool['connect'];
  return proxy;
}

/**
 * The statements of the chunk loop (look-ups, undo, write, and BEGIN/COMMIT around them when a chunk needs
 * a transaction), cut into chunks: a chunk ends with its write statement, or with the COMMIT after it.
 */
export function statementsPerChunk(sent: readonly Sent[]): number[] {
  const chunks: number[] = [];
  let current = 0;
  let inTransaction = false;
  for (const { text, name } of sent) {
    const statement = text.trim();
    if (statement === 'BEGIN') {
      inTransaction = true;
      current++;
    } else if (statement === 'COMMIT' || statement === 'ROLLBACK') {
      current++;
      if (inTransaction) {
        chunks.push(current);
        current = 0;
      }
      inTransaction = false;
    } else if ((name && /^(lookup_|undo_superseded_)/.test(name)) || statement.startsWith('COPY ')) {
      current++;
    } else if (name?.startsWith('write_chunk_')) {
      current++;
      if (!inTransaction) {
        chunks.push(current);
        current = 0;
      }
    }
  }
  return chunks;
}

/** Imports `csvFile` (companies) in process at each chunk size; the statements of each chunk. */
export async function measureStatements(
  pool: Pool,
  csvFile: string,
  chunkSizes: readonly number[],
  limits: ImportLimits,
): Promise<Map<number, number[]>> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'importer-bench-'));
  const prisma = createPrisma(pool);
  const imports = createImportsRepository(prisma);
  const result = new Map<number, number[]>();
  try {
    await symlink(path.resolve(csvFile), path.join(storageDir, 'companies.csv'));
    for (const chunkSize of chunkSizes) {
      await pool.query('TRUNCATE "companies", "imports" CASCADE');
      const id = randomUUID();
      await imports.create({
        id,
        profile: 'companies',
        options: {},
        fileName: 'companies.csv',
        fileSize: 0,
        fileSha256: '0'.repeat(64),
        fileKey: 'companies.csv',
        fileFormat: 'csv',
        createdBy: 'bench',
      });
      const sent: Sent[] = [];
      await runImport({ pool: recordingPool(pool, sent), imports, storageDir, limits, chunkSize }, id);
      result.set(chunkSize, statementsPerChunk(sent));
    }
  } finally {
    await prisma.$disconnect();
    await rm(storageDir, { recursive: true, force: true });
  }
  return result;
}
