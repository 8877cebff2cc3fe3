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
import { BadFileError } from './errors';
import { getProfile } from './profiles';

export interface RevertEngineDeps {
  pool: Pool;
  imports: ImportsRepository;
  /** Lineage rows per revert chunk (`CHUNK_SIZE`): per transaction. */
  chunkSize: number;
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
 * lineage, `chunkSize` rows at a time, each chunk one statement with the revert's counts and checkpoint,
 * fenced on both (`revertChunk`), so a killed or redelivered job resumes after the last committed chunk and
 * counts nothing twice. Then the import becomes `reverted`. `signal` stops it between two chunks (shutdown).
 */
export async function runRevert(deps: RevertEngineDeps, importId: string, run: { signal?: AbortSignal } = {}): Promise<RevertOutcome> {
  const record = await deps.imports.get(importId);
  if (!record || !isAllowed('finishRevert', record.status as ImportStatus)) return { status: 'skipped', reason: 'not reverting' };
  const table = tableOf(record.profile);
  await countRevertRows(deps.pool, table, importId);
  let from = record.revertCheckpoint.toString();
  for (;;) {
    run.signal?.throwIfAborted();
    const chunk = await revertChunk(deps.pool, table, { importId, from, limit: deps.chunkSize });
    if (!chunk) return { status: 'skipped', reason: 'another delivery of this revert is ahead' };
    if (chunk.processed === 0 || chunk.last === null) break;
    deps.onProgress?.(importId);
    from = chunk.last;
    if (chunk.processed < deps.chunkSize) break;
  }
  if (!(await finishRevert(deps.pool, importId))) return { status: 'skipped', reason: 'another delivery of this revert finished it' };
  deps.onProgress?.(importId);
  return { status: 'reverted' };
}
