import path from 'node:path';
import type { ImportLimits } from '@importer/config';
import { previewRows, recordChunk, upsertRows, type ImportsRepository, type Pool, type RowErrorInput } from '@importer/db';
import { cellText } from './cells';
import { BadFileError } from './errors';
import { mapHeaders, type MappedColumn } from './headers';
import { LookupCache } from './lookups';
import { parseImportOptions, type ImportOptions } from './options';
import { getProfile, type Profile, type RowIssue } from './profiles';
import { openSource, type FileFormat, type Source, type SourceRecord } from './readers';
import { dropDuplicateKeys, validateRecords } from './validate';

export interface ImportEngineDeps {
  pool: Pool;
  imports: ImportsRepository;
  storageDir: string;
  limits: ImportLimits;
  /** Records per chunk: per transaction, per set of statements. */
  chunkSize: number;
  /** Called after each committed chunk (progress events). */
  onProgress?: (importId: string) => void;
}

export interface RunOptions {
  /**
   * Stops the import at the next chunk boundary: the chunk being written commits (or rolls back), then
   * `signal.reason` is thrown. The checkpoint stays where the last commit left it, so a later attempt
   * resumes there (timeouts, graceful shutdown).
   */
  signal?: AbortSignal;
}

export type ImportOutcome =
  | { status: 'completed' | 'completed_with_errors' | 'cancelled' }
  /** The import was already finished, or another delivery of its job is ahead: nothing to do here. */
  | { status: 'skipped'; reason: string };

/** A chunk validated, deduplicated and looked up, ready to be written in one transaction. */
interface PreparedChunk {
  fromRow: number;
  toRow: number;
  rows: number;
  records: unknown[];
  failed: number;
  skipped: number;
  warnings: number;
  issues: RowIssue[];
  raws: Map<number, readonly string[]>;
}

/**
 * Runs one import from its checkpoint to its end: open → detect → parse → validate → look up → upsert
 * chunk → checkpoint → report. Each chunk commits in one transaction with the import's totals and
 * checkpoint, so a retried or redelivered job resumes after the last committed chunk and never double
 * counts. Bad rows become row errors; a bad file throws `BadFileError`; anything else is transient and
 * thrown for the queue to retry.
 */
export async function runImport(deps: ImportEngineDeps, importId: string, run: RunOptions = {}): Promise<ImportOutcome> {
  const record = await deps.imports.claim(importId);
  if (!record) return { status: 'skipped', reason: 'already finished' };
  const profile = getProfile(record.profile);
  if (!profile) throw new BadFileError('unknown_profile', `Unknown profile "${record.profile}".`);
  const options = parseImportOptions(record.options);

  const source = await openSource(path.join(deps.storageDir, record.fileKey), record.fileFormat as FileFormat, {
    maxColumns: deps.limits.maxColumns,
    maxRecordChars: deps.limits.maxCellChars * deps.limits.maxColumns,
  }, { sheet: options.sheet });
  try {
    const headerMap = mapHeaders(profile, source.headers);
    await deps.imports.recordDialect(importId, {
      encoding: source.dialect.encoding,
      delimiter: source.dialect.delimiter,
      sheet: source.dialect.sheet,
      headers: source.headers,
      unknownColumns: headerMap.unknown,
    });
    const ran = await importChunks(deps, {
      importId,
      profile,
      options,
      source,
      columns: headerMap.columns,
      from: record.checkpointRow,
      rowsBefore: record.rowsTotal,
      signal: run.signal,
    });
    if (ran === 'fenced') return settleFenced(deps, importId);
    const after = await deps.imports.get(importId);
    const status = after && after.failed > 0 ? 'completed_with_errors' : 'completed';
    if (!(await deps.imports.finish(importId, status))) return settleFenced(deps, importId);
    deps.onProgress?.(importId);
    return { status };
  } finally {
    await source.close();
  }
}

interface ChunkLoop {
  importId: string;
  profile: Profile;
  options: ImportOptions;
  source: Source;
  columns: MappedColumn[];
  /** Checkpoint to resume after. */
  from: number;
  rowsBefore: number;
  signal?: AbortSignal;
}

/**
 * Reads, prepares and writes chunks, preparing the next chunk while the database writes the current one
 * (the database is the bottleneck). Returns 'fenced' when a commit found the import moved on.
 */
async function importChunks(deps: ImportEngineDeps, loop: ChunkLoop): Promise<'done' | 'fenced'> {
  const { importId, profile, options, source, columns } = loop;
  const cache = new LookupCache();
  const started = Date.now();
  let checkpoint = loop.from;
  let rowsSeen = loop.rowsBefore;
  let rowsThisRun = 0;
  let writing: Promise<boolean> = Promise.resolve(true);

  for await (const batch of source.batches(deps.chunkSize, loop.from)) {
    if (loop.signal?.aborted) {
      await writing;
      loop.signal.throwIfAborted();
    }
    const chunk = await prepareChunk(deps, profile, options, columns, cache, batch, checkpoint);
    checkpoint = chunk.toRow;
    rowsSeen += chunk.rows;
    if (rowsSeen > deps.limits.maxRows) {
      throw new BadFileError('too_many_rows', `The file has more than ${deps.limits.maxRows} rows, the most one import may hold.`);
    }
    if (!(await writing)) return 'fenced';
    rowsThisRun += chunk.rows;
    const elapsed = (Date.now() - started) / 1000;
    const fraction = source.progress();
    writing = commitChunk(deps, profile, options, importId, chunk, {
      progressPercent: Math.min(99.9, fraction * 100),
      rowsPerSecond: elapsed > 0 ? rowsThisRun / elapsed : null,
      etaSeconds: fraction > 0 && elapsed > 0 ? Math.round((elapsed * (1 - fraction)) / fraction) : null,
    });
    // Awaited on the next turn (or below); meanwhile a failure must not count as unhandled.
    writing.catch(() => undefined);
  }
  return (await writing) ? 'done' : 'fenced';
}

async function prepareChunk(
  deps: ImportEngineDeps,
  profile: Profile,
  options: ImportOptions,
  columns: MappedColumn[],
  cache: LookupCache,
  batch: SourceRecord[],
  fromRow: number,
): Promise<PreparedChunk> {
  const validated = validateRecords(profile, columns, batch, deps.limits.maxCellChars);
  const { kept, issues: duplicates } = dropDuplicateKeys(profile, validated.valid);
  const prepared = await profile.prepare(kept, {
    db: deps.pool,
    cache,
    options: { createMissingCategories: options.createMissingCategories, dryRun: options.dryRun },
  });
  const raws = new Map<number, readonly string[]>();
  for (const { row, cells } of batch) raws.set(row, cells.map((cell) => (cell === null ? '' : cellText(cell))));
  return {
    fromRow,
    toRow: batch.at(-1)?.row ?? fromRow,
    rows: validated.rows,
    records: prepared.records,
    failed: validated.failed + new Set(prepared.rejected.map((issue) => issue.row)).size,
    skipped: duplicates.length,
    warnings: duplicates.length + prepared.warnings.length,
    issues: [...validated.issues, ...prepared.rejected, ...duplicates, ...prepared.warnings],
    raws,
  };
}

/** BEGIN; upsert (or preview); record errors, totals and checkpoint; COMMIT. Constant statements per chunk. */
async function commitChunk(
  deps: ImportEngineDeps,
  profile: Profile,
  options: ImportOptions,
  importId: string,
  chunk: PreparedChunk,
  progress: { progressPercent: number; rowsPerSecond: number | null; etaSeconds: number | null },
): Promise<boolean> {
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    const rows = chunk.records as Record<string, unknown>[];
    const write = options.dryRun ? previewRows : upsertRows;
    const { created, updated } = await write(client, profile.table, options.mode, rows);
    const untouched = rows.length - created - updated;
    const insertOnly = options.mode === 'insert_only';
    const errors: RowErrorInput[] = chunk.issues
      .sort((a, b) => a.row - b.row)
      .map((issue) => ({ ...issue, raw: issue.level === 'error' ? (chunk.raws.get(issue.row) ?? null) : null }));
    const recorded = await recordChunk(client, {
      importId,
      fromRow: chunk.fromRow,
      toRow: chunk.toRow,
      rows: chunk.rows,
      created,
      updated,
      unchanged: insertOnly ? 0 : untouched,
      skipped: chunk.skipped + (insertOnly ? untouched : 0),
      failed: chunk.failed,
      warnings: chunk.warnings,
      errors,
      maxStoredErrors: deps.limits.maxStoredErrors,
      ...progress,
    });
    await client.query(recorded ? 'COMMIT' : 'ROLLBACK');
    if (recorded) deps.onProgress?.(importId);
    return recorded;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A commit was refused: the import was cancelled, or another delivery of the job is ahead of this one. */
async function settleFenced(deps: ImportEngineDeps, importId: string): Promise<ImportOutcome> {
  const current = await deps.imports.get(importId);
  if (current?.status === 'cancelled') return { status: 'cancelled' };
  return { status: 'skipped', reason: 'another delivery of this import is ahead' };
}
