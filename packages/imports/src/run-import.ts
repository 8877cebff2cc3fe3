import path from 'node:path';
import type { ImportLimits } from '@importer/config';
import {
  claimImport,
  clearWriteJournal,
  copyable,
  copyRows,
  finishImport,
  inputParams,
  undoSuperseded,
  UNIQUE_VIOLATION,
  writeChunk,
  type ChunkWrite,
  type ImportsRepository,
  type Pool,
  type PoolClient,
  type UpsertCounts,
} from '@importer/db';
import { BadFileError } from './errors';
import { mapHeaders, type MappedColumn } from './headers';
import { LookupCache } from './lookups';
import { parseImportOptions, type ImportOptions } from './options';
import { ChunkPreparer, type PreparedChunk } from './prepare-chunk';
import { getProfile, PROFILES, type Profile } from './profiles';
import { openSource, type FileFormat, type Source } from './readers';

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

/**
 * Runs one import from its checkpoint to its end: open → detect → parse → validate → look up → upsert
 * chunk → checkpoint → report. Each chunk commits in one transaction with the import's totals and
 * checkpoint, so a retried or redelivered job resumes after the last committed chunk and never double
 * counts. Bad rows become row errors; a bad file throws `BadFileError`; anything else is transient and
 * thrown for the queue to retry.
 */
export async function runImport(deps: ImportEngineDeps, importId: string, run: RunOptions = {}): Promise<ImportOutcome> {
  const record = (await claimImport(deps.pool, importId)) ? await deps.imports.get(importId) : null;
  if (!record) return { status: 'skipped', reason: 'already finished' };
  const profile = getProfile(record.profile);
  if (!profile) throw new BadFileError('unknown_profile', `Unknown profile "${record.profile}".`);
  const options = parseImportOptions(record.options);

  const source = await openSource(path.join(deps.storageDir, record.fileKey), record.fileFormat as FileFormat, {
    maxColumns: deps.limits.maxColumns,
    maxRecordChars: deps.limits.maxCellChars * deps.limits.maxColumns,
    maxInflatedBytes: deps.limits.maxInflatedBytes,
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
    if (!(await finishImport(deps.pool, importId, status))) return settleFenced(deps, importId);
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

interface Progress {
  progressPercent: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

/**
 * Reads, prepares and writes chunks, preparing (reading, validating, looking up, encoding) the next chunk
 * while the database writes the current one. A chunk is usually one statement, sent on a connection the
 * import keeps for itself, so the database writes it to the end, commit included, while this thread is
 * busy with the next chunk (see `ChunkWriter` for the others). A resumed import first replays the rows before
 * its checkpoint through the preparer, without writing them, so that it knows their keys. Returns
 * 'fenced' when a commit found the import moved on.
 */
async function importChunks(deps: ImportEngineDeps, loop: ChunkLoop): Promise<'done' | 'fenced'> {
  const { importId, profile, options, source } = loop;
  const preparer = new ChunkPreparer(profile, loop.columns, new LookupCache(), options, {
    db: deps.pool,
    maxCellChars: deps.limits.maxCellChars,
  }, loop.from);
  const writer = await ChunkWriter.open(deps, profile, options, importId);
  const started = Date.now();
  let rowsSeen = loop.rowsBefore;
  let rowsThisRun = 0;
  let writing: Promise<boolean> = Promise.resolve(true);

  /** Closes the open chunk and starts writing it once the previous one is written. */
  const flush = async (): Promise<boolean> => {
    const chunk = preparer.take();
    if (!(await writing)) return false;
    if (loop.signal?.aborted) loop.signal.throwIfAborted();
    rowsThisRun += chunk.rows;
    const elapsed = (Date.now() - started) / 1000;
    const fraction = source.progress();
    writing = writer.commit(chunk, {
      progressPercent: Math.min(99.9, fraction * 100),
      rowsPerSecond: elapsed > 0 ? rowsThisRun / elapsed : null,
      etaSeconds: fraction > 0 && elapsed > 0 ? Math.round((elapsed * (1 - fraction)) / fraction) : null,
    });
    // Awaited on the next flush (or below); meanwhile a failure must not count as unhandled.
    writing.catch(() => undefined);
    return true;
  };

  try {
    const readBatch = Math.min(READ_BATCH, deps.chunkSize);
    for await (const batch of source.batches(readBatch, loop.from > 1 ? 0 : loop.from)) {
      let fresh = batch;
      if ((batch[0]?.row ?? 0) <= loop.from) {
        const cut = batch.findIndex((record) => record.row > loop.from);
        await preparer.remember(cut === -1 ? batch : batch.slice(0, cut));
        if (cut === -1) continue;
        fresh = batch.slice(cut);
      }
      const before = preparer.pendingRows;
      await preparer.add(fresh, writer.copying);
      rowsSeen += preparer.pendingRows - before;
      if (rowsSeen > deps.limits.maxRows) {
        throw new BadFileError('too_many_rows', `The file has more than ${deps.limits.maxRows} rows, the most one import may hold.`);
      }
      if (preparer.pendingRows >= deps.chunkSize && !(await flush())) return 'fenced';
      // Reading and preparing never wait on I/O while the file is buffered: let the connection take the
      // database's answers, so a chunk written in several statements moves on while the next is prepared.
      await new Promise(setImmediate);
    }
    if (preparer.pendingRows > 0 || preparer.pendingCheckpoint) {
      if (!(await flush())) return 'fenced';
    }
    if (!(await writing)) return 'fenced';
  } finally {
    await writing.catch(() => undefined);
    await writer.close();
  }
  await clearWriteJournal(deps.pool, importId, JOURNALED_TABLES);
  return 'done';
}

/**
 * Records read and validated at a time. Small, so that the reader's arrays and strings die in the young
 * generation instead of being promoted; chunks are made of several of these.
 */
const READ_BATCH = 500;

/** Every business table a profile writes: their undo images are cleared when an import ends. */
const JOURNALED_TABLES = [...new Set(Object.values(PROFILES).map((profile) => profile.table))];

/**
 * Commits an import's chunks, one after the other, on one connection it holds for the import. Commits are
 * asynchronous (`synchronous_commit = off` on this connection only): a database crash may lose the last
 * few chunk commits, each whole with its checkpoint, so the import resumes before them and loses or
 * double counts nothing; the final status, committed synchronously on another connection, makes every
 * chunk before it durable.
 *
 * Created rows are the costliest to write; COPY writes them about twice as fast as INSERT. So, for a table
 * whose rows can be copied (`copyable`), an import starts by copying its chunks in, optimistically: the
 * first chunk whose COPY meets an existing key is rolled back and upserted instead, and the import upserts
 * from then on (a re-import loses one rolled-back chunk).
 */
class ChunkWriter {
  /** Whether chunks are still copied in. */
  copying: boolean;

  private constructor(
    private readonly deps: ImportEngineDeps,
    private readonly client: PoolClient,
    private readonly profile: Profile,
    private readonly options: ImportOptions,
    private readonly importId: string,
  ) {
    this.copying = copyable(profile.table) && !options.dryRun;
  }

  static async open(deps: ImportEngineDeps, profile: Profile, options: ImportOptions, importId: string): Promise<ChunkWriter> {
    const client = await deps.pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return new ChunkWriter(deps, client, profile, options, importId);
  }

  /**
   * Writes a chunk: one statement (the write with its journal, row errors, totals and checkpoint); or
   * BEGIN, COPY, that statement (recording the copied rows), COMMIT; or, when the chunk supersedes rows of
   * earlier chunks, BEGIN, the statement undoing them, the write, COMMIT. Returns false, everything rolled
   * back, when the import was fenced.
   */
  async commit(chunk: PreparedChunk, progress: Progress): Promise<boolean> {
    const { client, profile, options, importId } = this;
    const record: ChunkWrite = {
      importId,
      fromRow: chunk.fromRow,
      toRow: chunk.toRow,
      rows: chunk.rows,
      input: [],
      skipped: chunk.skipped,
      failed: chunk.failed,
      warnings: chunk.warnings,
      adjust: { created: 0, updated: 0, unchanged: 0 },
      copiedRows: [],
      errors: chunk.issues,
      maxStoredErrors: this.deps.limits.maxStoredErrors,
      ...progress,
    };
    // undefined: not copied in (or a copied key existed); null: fenced.
    let written: UpsertCounts | null | undefined;
    if (chunk.copy && this.copying) written = await this.copyIn(chunk.copy, record);
    if (written === undefined) {
      record.input = inputParams(profile.table, chunk.input, chunk.dropped);
      if (chunk.superseded.rows.length === 0) {
        written = await writeChunk(client, profile.table, options.mode, options.dryRun, record);
      } else {
        written = await this.transaction(async () => {
          const prior = await undoSuperseded(client, profile.table, options.dryRun, { importId, ...chunk.superseded });
          // Each superseded row leaves the outcome it was counted under for `skipped` (in insert_only mode a
          // row that found its key existing was skipped already).
          const insertOnly = options.mode === 'insert_only';
          record.adjust = { created: -prior.created, updated: -prior.updated, unchanged: insertOnly ? 0 : -prior.other };
          record.skipped += prior.created + prior.updated + (insertOnly ? 0 : prior.other);
          return writeChunk(client, profile.table, options.mode, options.dryRun, record);
        });
      }
    }
    if (written) this.deps.onProgress?.(importId);
    return written !== null;
  }

  /**
   * BEGIN, COPY, the write statement (no input rows: it records the copied ones), COMMIT. Returns
   * undefined, rolled back, when a copied key exists: the chunk is to be upserted, and so are the next ones.
   */
  private async copyIn(copy: NonNullable<PreparedChunk['copy']>, record: ChunkWrite): Promise<UpsertCounts | null | undefined> {
    const { client, profile, options } = this;
    try {
      return await this.transaction(async () => {
        await copyRows(client, profile.table, copy.text);
        const copied = { ...record, copiedRows: copy.recordRows, input: inputParams(profile.table, []) };
        return writeChunk(client, profile.table, options.mode, options.dryRun, copied);
      });
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      this.copying = false;
      return undefined;
    }
  }

  /** Runs `work` between BEGIN and COMMIT; rolls back when it returns null (fenced) or throws. */
  private async transaction(work: () => Promise<UpsertCounts | null>): Promise<UpsertCounts | null> {
    await this.client.query('BEGIN');
    try {
      const result = await work();
      await this.client.query(result ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.query('RESET synchronous_commit');
      this.client.release();
    } catch (error) {
      this.client.release(error as Error);
    }
  }
}

/** A commit was refused: the import was cancelled, or another delivery of the job is ahead of this one. */
async function settleFenced(deps: ImportEngineDeps, importId: string): Promise<ImportOutcome> {
  const current = await deps.imports.get(importId);
  if (current?.status === 'cancelled') return { status: 'cancelled' };
  return { status: 'skipped', reason: 'another delivery of this import is ahead' };
}
