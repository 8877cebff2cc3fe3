import type { ChunkSizing, ImportLimits } from '@importer/config';
import {
  claimImport,
  claimImportWithinCap,
  finishImport,
  openChunkWriter,
  type ChunkProgress,
  type ChunkTotals,
  type CommitOutcome,
  type ImportsRepository,
  type Pool,
} from '@importer/db';
import type { FileStore } from '@importer/storage';
import { ChunkSizer, type ChunkRows } from './chunk-size';
import { BadFileError, UserAtCapError } from './errors';
import { mapFileHeaders } from './column-mapping';
import type { MappedColumn } from './headers';
import { LookupCache } from './lookups';
import { parseImportOptions, type ImportOptions } from './options';
import { ChunkPreparer } from './prepare-chunk';
import { getProfile, type Profile } from './profiles';
import { openSource, type FileFormat, type Source } from './readers';
import { isRejectedRowsDownload, restoreNeutralisedCells } from './rejected-rows';
import { fileStoreOf } from './stored-files';

export interface ImportEngineDeps {
  pool: Pool;
  imports: ImportsRepository;
  storageDir: string;
  /** Where the uploaded files are (STORAGE_DRIVER); default: the `fs` driver on `storageDir`. */
  fileStore?: FileStore;
  limits: ImportLimits;
  /**
   * Records per chunk (per transaction, per set of statements): adaptive within the sizing's bounds
   * (`chunkSizing(config)`, `ChunkSizer`), or pinned by a number.
   */
  chunkSize: ChunkSizing | number;
  /** Called after each committed chunk (progress events). */
  onProgress?: (importId: string) => void;
  /** Called after each committed chunk with its rows by outcome and how long its commit took (metrics). */
  onChunkCommitted?: (chunk: CommittedChunk) => void;
  /**
   * At most this many imports of one user run at once across every worker (`IMPORTS_PER_USER`); an import
   * over it is not claimed and `UserAtCapError` is thrown. Unset: no cap.
   */
  importsPerUser?: number;
}

export interface CommittedChunk {
  importId: string;
  profile: string;
  dryRun: boolean;
  /** The chunk's own rows by outcome (a row of an earlier chunk it supersedes stays counted there). */
  rows: ChunkTotals;
  seconds: number;
}

export interface RunOptions {
  /**
   * Stops the import at the next chunk boundary: the chunk being written commits (or rolls back), then
   * `signal.reason` is thrown. The checkpoint stays where the last commit left it, so a later attempt
   * resumes there (timeouts, graceful shutdown).
   */
  signal?: AbortSignal;
  /** Called once the attempt holds the import (claimed, within the per-user cap), before the file is opened. */
  onClaimed?: () => void;
}

export type ImportOutcome =
  /** `chunkRows`: the chunk sizes this attempt chose (the worker logs them with "import finished"). */
  | { status: 'completed' | 'completed_with_errors'; chunkRows: ChunkRows }
  | { status: 'cancelled' }
  /** The import was already finished, or another delivery of its job is ahead: nothing to do here. */
  | { status: 'skipped'; reason: string };

/** The attempt's claim, within the per-user cap when there is one; throws `UserAtCapError` when over it. */
async function claim(deps: ImportEngineDeps, importId: string): Promise<boolean> {
  if (deps.importsPerUser === undefined) return claimImport(deps.pool, importId);
  const claimed = await claimImportWithinCap(deps.pool, importId, deps.importsPerUser);
  if (claimed === 'user_at_cap') throw new UserAtCapError(importId);
  return claimed === 'claimed';
}

/**
 * Runs one import from its checkpoint to its end: open → detect → parse → validate → look up → upsert
 * chunk → checkpoint → report. Each chunk commits in one transaction with the import's totals and
 * checkpoint, so a retried or redelivered job resumes after the last committed chunk and never double
 * counts. Bad rows become row errors; a bad file throws `BadFileError`; anything else is transient and
 * thrown for the queue to retry.
 */
export async function runImport(deps: ImportEngineDeps, importId: string, run: RunOptions = {}): Promise<ImportOutcome> {
  const record = (await claim(deps, importId)) ? await deps.imports.get(importId) : null;
  if (!record) return { status: 'skipped', reason: 'already finished' };
  run.onClaimed?.();
  const profile = getProfile(record.profile);
  if (!profile) throw new BadFileError('unknown_profile', `Unknown profile "${record.profile}".`);
  const options = parseImportOptions(record.options);

  const source = await openSource(
    { store: fileStoreOf(deps), key: record.fileKey },
    record.fileFormat as FileFormat,
    {
      maxColumns: deps.limits.maxColumns,
      maxCellChars: deps.limits.maxCellChars,
      maxRecordChars: deps.limits.maxCellChars * deps.limits.maxColumns,
      maxInflatedBytes: deps.limits.maxInflatedBytes,
      maxXlsCells: deps.limits.maxXlsCells,
      xlsMemoryMb: deps.limits.xlsMemoryMb,
    },
    { sheet: options.sheet },
  );
  try {
    const headerMap = await mapFileHeaders(deps.pool, profile, source.headers, options.mapping);
    await deps.imports.recordDialect(importId, {
      encoding: source.dialect.encoding,
      delimiter: source.dialect.delimiter,
      sheet: source.dialect.sheet,
      headers: source.headers,
      unknownColumns: headerMap.unknown,
      mappingSource: headerMap.mappingSource,
    });
    const sizer = new ChunkSizer(deps.chunkSize, record.attempts > 1);
    const ran = await importChunks(deps, sizer, {
      importId,
      profile,
      options,
      source,
      columns: headerMap.columns,
      from: record.checkpointRow,
      rowsBefore: record.rowsTotal,
      signal: run.signal,
      fromDownload: isRejectedRowsDownload(source.headers),
    });
    if (ran === 'fenced') return settleFenced(deps, importId);
    const after = await deps.imports.get(importId);
    const status = after && after.failed > 0 ? 'completed_with_errors' : 'completed';
    if (!(await finishImport(deps.pool, importId, status))) return settleFenced(deps, importId);
    deps.onProgress?.(importId);
    return { status, chunkRows: sizer.summary() };
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
  /** The file is a rejected-rows download uploaded again: its cells lose the `'` the download added. */
  fromDownload: boolean;
}

/**
 * Reads, prepares and writes chunks, preparing (reading, validating, looking up, encoding) the next chunk
 * while the database writes the current one. A chunk is usually one statement, sent on a connection the
 * import keeps for itself, so the database writes it to the end, commit included, while this thread is
 * busy with the next chunk (see `ChunkWriter` in @importer/db for the others). A chunk closes at the size
 * `sizer` holds then, told each commit's time; a read batch that would overfill it is split. A resumed
 * import first replays the rows before its checkpoint through the preparer, without writing them, so that
 * it knows their keys. Returns 'fenced' when a commit found the import moved on.
 */
async function importChunks(deps: ImportEngineDeps, sizer: ChunkSizer, loop: ChunkLoop): Promise<'done' | 'fenced'> {
  const { importId, profile, options, source } = loop;
  const writer = await openChunkWriter(deps.pool, {
    importId,
    table: profile.table,
    mode: options.mode,
    dryRun: options.dryRun,
    maxStoredErrors: deps.limits.maxStoredErrors,
    onCommitted: ({ rows, seconds }) => {
      sizer.committed(writingRows, seconds);
      deps.onChunkCommitted?.({ importId, profile: profile.name, dryRun: options.dryRun, rows, seconds });
    },
  });
  const context = { db: deps.pool, maxCellChars: deps.limits.maxCellChars };
  const preparer = new ChunkPreparer(profile, loop.columns, new LookupCache(), options, context, () => writer.encoding(), loop.from);
  const started = Date.now();
  let rowsSeen = loop.rowsBefore;
  let rowsThisRun = 0;
  let writing: Promise<CommitOutcome> = Promise.resolve('committed');
  /** Records of the chunk being written (one at a time: a chunk's commit starts after the previous one's end). */
  let writingRows = 0;

  /** Closes the open chunk and starts writing it once the previous one is written. */
  const flush = async (): Promise<boolean> => {
    if (preparer.pendingRows > 0) sizer.chunkClosed();
    const chunk = preparer.take();
    if ((await writing) === 'fenced') return false;
    if (loop.signal?.aborted) loop.signal.throwIfAborted();
    rowsThisRun += chunk.rows;
    writingRows = chunk.rows;
    const elapsed = (Date.now() - started) / 1000;
    const fraction = source.progress();
    const progress: ChunkProgress = {
      progressPercent: Math.min(99.9, fraction * 100),
      rowsPerSecond: elapsed > 0 ? rowsThisRun / elapsed : null,
      etaSeconds: fraction > 0 && elapsed > 0 ? Math.round((elapsed * (1 - fraction)) / fraction) : null,
    };
    writing = writer.commit(chunk, progress).then((outcome) => {
      if (outcome === 'committed') deps.onProgress?.(importId);
      return outcome;
    });
    // Awaited on the next flush (or below); meanwhile a failure must not count as unhandled.
    writing.catch(() => undefined);
    return true;
  };

  try {
    const readBatch = Math.min(READ_BATCH, sizer.maxSize);
    for await (const batch of source.batches(readBatch)) {
      if (loop.fromDownload) restoreNeutralisedCells(batch);
      let fresh = batch;
      if ((batch[0]?.row ?? 0) <= loop.from) {
        const cut = batch.findIndex((record) => record.row > loop.from);
        await preparer.remember(cut === -1 ? batch : batch.slice(0, cut));
        if (cut === -1) continue;
        fresh = batch.slice(cut);
      }
      for (let rest = fresh; rest.length > 0;) {
        // A slow commit may have brought the size under the open chunk's rows meanwhile: it closes first.
        if (preparer.pendingRows >= sizer.size && !(await flush())) return 'fenced';
        const room = sizer.size - preparer.pendingRows;
        const part = rest.length > room ? rest.slice(0, room) : rest;
        rest = part === rest ? [] : rest.slice(room);
        const before = preparer.pendingRows;
        await preparer.add(part);
        rowsSeen += preparer.pendingRows - before;
        if (rowsSeen > deps.limits.maxRows) {
          throw new BadFileError('too_many_rows', `The file has more than ${deps.limits.maxRows} rows, the most one import may hold.`);
        }
        if (preparer.pendingRows >= sizer.size && !(await flush())) return 'fenced';
      }
      // Reading and preparing never wait on I/O while the file is buffered: let the connection take the
      // database's answers, so a chunk written in several statements moves on while the next is prepared.
      await new Promise(setImmediate);
    }
    if (preparer.pendingRows > 0 || preparer.pendingCheckpoint) {
      if (!(await flush())) return 'fenced';
    }
    if ((await writing) === 'fenced') return 'fenced';
    await writer.clearJournal();
  } finally {
    await writing.catch(() => undefined);
    await writer.close();
  }
  return 'done';
}

/**
 * Records read and validated at a time. Small, so that the reader's arrays and strings die in the young
 * generation instead of being promoted; chunks are made of several of these. Also how long this thread
 * keeps the chunk being written waiting (≈ 3 ms here): each of its statements' answers is read between two
 * batches, and a copied chunk takes four round trips (BEGIN, COPY, its statement, COMMIT).
 */
const READ_BATCH = 250;

/** A commit was refused: the import was cancelled, or another delivery of the job is ahead of this one. */
async function settleFenced(deps: ImportEngineDeps, importId: string): Promise<ImportOutcome> {
  const current = await deps.imports.get(importId);
  if (current?.status === 'cancelled') return { status: 'cancelled' };
  return { status: 'skipped', reason: 'another delivery of this import is ahead' };
}
