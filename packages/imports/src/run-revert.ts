import {
  countRevertRows,
  finishRevert,
  isAllowed,
  planRevert,
  revertChunk,
  type ImportStatus,
  type ImportsRepository,
  type Pool,
  type RevertCounts,
} from '@importer/db';
import type { ChunkSizing } from '@importer/config';
import { ChunkSizer } from './chunk-size';
import { BadFileError } from './errors';
import { getProfile } from './profiles';

export interface RevertEngineDeps {
  pool: Pool;
  imports: ImportsRepository;
  /** Lineage rows per revert chunk (per transaction): adaptive like an import's (`ChunkSizer`), or pinned by a number. */
  chunkSize: ChunkSizing | number;
  /** Called after each committed chunk and at the end (progress events). */
  onProgress?: (importId: string) => void;
}

export type RevertOutcome =
  | { status: 'reverted' }
  /** The import is not reverting (already reverted), or another delivery of its job is ahead: nothing to do here. */
  | { status: 'skipped'; reason: string };

function tableOf(profileName: string) {
  const profile = getProfile(profileName);
  if (!profile) throw new BadFileError('unknown_profile', `Unknown profile "${profileName}".`);
  return profile.table;
}

/** What a revert of the import would do (the dry run, docs/write-semantics.md): its counts, nothing changed. */
export async function previewRevert(deps: { pool: Pool }, importId: string, profile: string): Promise<RevertCounts> {
  return planRevert(deps.pool, tableOf(profile), importId);
}

/**
 * Runs the revert of an import already `reverting` (`startRevert`), from its checkpoint to its end: its
 * lineage, a chunk of rows at a time, each chunk one statement with the revert's counts and checkpoint,
 * fenced on both (`revertChunk`), so a killed or redelivered job resumes after the last committed chunk and
 * counts nothing twice. Each chunk is sized after the time of the one before (`ChunkSizer`; no pipelining here). Then the import becomes `reverted`. `signal` stops it between two chunks (shutdown).
 */
export async function runRevert(deps: RevertEngineDeps, importId: string, run: { signal?: AbortSignal } = {}): Promise<RevertOutcome> {
  const record = await deps.imports.get(importId);
  if (!record || !isAllowed('finishRevert', record.status as ImportStatus)) return { status: 'skipped', reason: 'not reverting' };
  const table = tableOf(record.profile);
  await countRevertRows(deps.pool, table, importId);
  let from = record.revertCheckpoint.toString();
  const sizer = new ChunkSizer(deps.chunkSize);
  for (;;) {
    run.signal?.throwIfAborted();
    const limit = sizer.size;
    const started = performance.now();
    const chunk = await revertChunk(deps.pool, table, { importId, from, limit });
    if (!chunk) return { status: 'skipped', reason: 'another delivery of this revert is ahead' };
    if (chunk.processed === 0 || chunk.last === null) break;
    sizer.committed(chunk.processed, (performance.now() - started) / 1000);
    deps.onProgress?.(importId);
    from = chunk.last;
    if (chunk.processed < limit) break;
  }
  if (!(await finishRevert(deps.pool, importId))) return { status: 'skipped', reason: 'another delivery of this revert finished it' };
  deps.onProgress?.(importId);
  return { status: 'reverted' };
}
