import type { Import } from '../generated/prisma/client';
import { beginSyncImport, finishImport } from '../import-lifecycle';
import type { PoolClient } from '../pool';
import { insertImport, readImport, type NewRecordedImport } from '../sql/import-record';
import type { UpsertTable, WriteMode } from '../sql/upsert';
import { ChunkEncoding } from './chunk-encoding';
import { ChunkWriter, type ChunkToCommit } from './chunk-writer';

/** A sync batch (`POST /sync/:profile`) ready to write: its import record and its rows as one chunk. */
export interface SyncBatch {
  record: Omit<NewRecordedImport, 'source' | 'noStoredFile'>;
  table: UpsertTable;
  mode: WriteMode;
  dryRun: boolean;
  maxStoredErrors: number;
  /** The batch's rows, prepared as a file's chunk is (row = index + 2), encoded by `syncEncoding`. */
  chunk: ChunkToCommit;
}

/** A sync batch's encoding: its rows are always staged and upserted, never copied in (other batches may hold the same keys). */
export const syncEncoding = (table: UpsertTable): ChunkEncoding => new ChunkEncoding(table, () => false);

/**
 * Writes a sync batch in the caller's transaction, in a constant number of statements whatever its size:
 * records its import (`source: sync`, no stored file), starts it (lifecycle `sync`), locks the rows' keys in
 * order and writes them with their row errors and totals as a file's chunk is written (`ChunkWriter`),
 * empties the write journal as a finished file import does, finishes the import (lifecycle `finish`) and
 * reads the record back.
 */
export async function writeSyncBatch(tx: PoolClient, batch: SyncBatch): Promise<Import> {
  const { id } = batch.record;
  await insertImport(tx, { ...batch.record, source: 'sync', noStoredFile: true });
  if (!(await beginSyncImport(tx, id))) throw new Error(`sync import ${id} did not start`);
  const writer = new ChunkWriter(tx, {
    importId: id,
    table: batch.table,
    mode: batch.mode,
    dryRun: batch.dryRun,
    maxStoredErrors: batch.maxStoredErrors,
    inTransaction: true,
  });
  // Nothing else sees the import before this transaction commits: nothing can fence it.
  if ((await writer.commit(batch.chunk, { progressPercent: 100, rowsPerSecond: null, etaSeconds: null })) === 'fenced') {
    throw new Error(`sync import ${id} was fenced`);
  }
  await writer.clearJournal();
  if (!(await finishImport(tx, id, batch.chunk.failed > 0 ? 'completed_with_errors' : 'completed'))) {
    throw new Error(`sync import ${id} did not finish`);
  }
  return (await readImport(tx, id)) as Import;
}
