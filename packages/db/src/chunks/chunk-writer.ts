import type { Pool, PoolClient } from '../pool';
import { UNIQUE_VIOLATION, copyRows } from '../sql/copy-rows';
import type { ChunkRecord, ChunkTotals, RowErrorInput } from '../sql/record-chunk';
import { clearWriteJournal, undoSuperseded } from '../sql/undo-superseded';
import { lockKeys } from '../sql/lock-keys';
import { copyStaged, createStaging } from '../sql/staging';
import { copyable, type UpsertTable, type WriteMode } from '../sql/upsert';
import { writeChunk, type ChunkWrite } from '../sql/write-chunk';
import { ChunkEncoding } from './chunk-encoding';

/** A chunk ready to commit: what the domain counted, and its rows as `ChunkEncoding` encoded them. */
export interface ChunkToCommit {
  /** The checkpoint the chunk starts after (the fence). */
  fromRow: number;
  /** Its last record's row: the next checkpoint. */
  toRow: number;
  /** Non-empty records: each ends as exactly one outcome. */
  rows: number;
  failed: number;
  warnings: number;
  /** Errors (with the row's original cells) and warnings, in row order. */
  issues: readonly RowErrorInput[];
  encoded: ChunkEncoding;
}

export interface ChunkProgress {
  progressPercent: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

/** `committed`: the chunk, its totals and checkpoint are in. `fenced`: nothing is (the import was cancelled or another delivery is ahead). */
export type CommitOutcome = 'committed' | 'fenced';

export interface ChunkWriterOptions {
  importId: string;
  table: UpsertTable;
  mode: WriteMode;
  dryRun: boolean;
  /** Row errors stored per import; more are only counted. */
  maxStoredErrors: number;
  /**
   * Told after each chunk that committed (metrics): its own rows by outcome (`ownRows`) and the seconds its
   * commit took.
   */
  onCommitted?: (committed: { rows: ChunkTotals; seconds: number }) => void;
  /**
   * True when the writer commits on a transaction its caller holds (a sync batch, `writeSyncBatch`): no
   * COPY into the table and no BEGIN/COMMIT of its own (the staging table is created and filled in the
   * caller's transaction); each chunk first locks its keys in one order (`lockKeys`), so that
   * concurrent batches writing the same keys queue instead of deadlocking. `fenced` leaves the caller to roll
   * back.
   */
  inTransaction?: boolean;
  /**
   * How long PostgreSQL keeps this writer's transaction once the worker has gone silent in it (its host lost
   * without closing the connection): see `sessionSettings`. Default 60 s.
   */
  lostWorkerTimeoutMs?: number;
}

/**
 * The session of a writer's connection. Commits are asynchronous (below). And a worker that vanishes
 * mid-chunk, its host lost without closing the connection (power, network cut), lets go of the chunk's
 * locks within about `lostMs`, so that the worker taking the import over does not wait for them until TCP
 * gives up (over two hours with PostgreSQL's defaults on Linux): PostgreSQL ends the session once it has sat
 * that long idle inside a transaction, and probes the connection (keepalives; unacknowledged data) to end
 * it when the worker is gone in the middle of a COPY. A living worker is idle inside a chunk's transaction
 * for moments only.
 */
function sessionSettings(lostMs: number): { set: string; reset: string } {
  const seconds = Math.max(1, Math.round(lostMs / 1000));
  const settings = {
    synchronous_commit: 'off',
    // A chunk's statements are prepared once per connection and run with one plan (`generic`): planning the
    // write statement (a dozen CTEs) cost ≈ 11 ms of backend CPU per chunk. Its joins are index look-ups by
    // construction (`storedRow`), so a plan that ignores the parameters' values loses nothing.
    plan_cache_mode: 'force_generic_plan',
    // Nor is any worth compiling: once the table is large its estimated cost passes `jit_above_cost`, and
    // JIT compilation took ≈ 90 ms for a 5,000-row chunk whose statement then ran in 15.
    jit: 'off',
    idle_in_transaction_session_timeout: String(lostMs),
    // Silent for half the time, then three probes over the other half.
    tcp_keepalives_idle: String(Math.max(1, Math.round(seconds / 2))),
    tcp_keepalives_interval: String(Math.max(1, Math.round(seconds / 6))),
    tcp_keepalives_count: '3',
    tcp_user_timeout: String(lostMs),
  };
  return {
    set: Object.entries(settings)
      .map(([name, value]) => `SET ${name} = ${value}`)
      .join('; '),
    reset: Object.keys(settings)
      .map((name) => `RESET ${name}`)
      .join('; '),
  };
}

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
export async function openChunkWriter(pool: Pool, options: ChunkWriterOptions): Promise<ChunkWriter> {
  const client = await pool.connect();
  const session = sessionSettings(options.lostWorkerTimeoutMs ?? 60_000);
  try {
    await client.query(session.set);
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return new ChunkWriter(client, options, session.reset);
}

export class ChunkWriter {
  /** Whether chunks are still copied in. */
  private copying: boolean;
  /** Whether the connection's staging table exists (`ensureStaging`). */
  private staging = false;
  /** The own rows of the chunk being committed, as its last write statement counted them. */
  private written: ChunkTotals | null = null;

  constructor(
    private readonly client: PoolClient,
    private readonly options: ChunkWriterOptions,
    /** What gives the connection back as it was (`openChunkWriter`'s session settings). */
    private readonly resetSession = '',
  ) {
    this.copying = copyable(options.table) && !options.dryRun && !options.inTransaction;
  }

  /** A new chunk's encoding (with COPY text while this writer still copies chunks in). */
  encoding(): ChunkEncoding {
    return new ChunkEncoding(this.options.table, () => this.copying);
  }

  /**
   * Commits a chunk: BEGIN, COPY into the table, the statement recording the copied rows (journal, lineage,
   * row errors, totals and checkpoint), COMMIT; or, once chunks are upserted, BEGIN, COPY into the staging
   * table, the statement undoing the rows of earlier chunks it supersedes (if any), the write statement
   * (the upsert with its journal, lineage, row errors, totals and checkpoint), COMMIT. `fenced`: everything
   * rolled back.
   */
  async commit(chunk: ChunkToCommit, progress: ChunkProgress): Promise<CommitOutcome> {
    const started = performance.now();
    this.written = null;
    const outcome = await this.commitChunk(chunk, progress);
    if (outcome === 'committed' && this.written) {
      this.options.onCommitted?.({ rows: this.written, seconds: (performance.now() - started) / 1000 });
    }
    return outcome;
  }

  private async commitChunk(chunk: ChunkToCommit, progress: ChunkProgress): Promise<CommitOutcome> {
    const { client, options } = this;
    const { encoded } = chunk;
    const record: ChunkRecord = {
      importId: options.importId,
      fromRow: chunk.fromRow,
      toRow: chunk.toRow,
      rows: chunk.rows,
      skipped: encoded.dropped.length,
      failed: chunk.failed,
      warnings: chunk.warnings,
      adjust: { created: 0, updated: 0, unchanged: 0 },
      errors: chunk.issues,
      maxStoredErrors: options.maxStoredErrors,
      ...progress,
    };
    const copy = this.copying ? encoded.copy() : null;
    if (copy) {
      const copied = await this.copyIn(copy.pieces, { ...record, input: copy.params, copied: true });
      if (copied !== 'key_exists') return copied;
      this.copying = false;
    }
    const write: ChunkWrite = { ...record, input: encoded.stagedParams() };
    const pieces = encoded.staged();
    await this.ensureStaging();
    return this.transaction(async () => {
      await copyStaged(client, options.table, pieces);
      if (options.inTransaction) await lockKeys(client, options.table, write.input);
      if (encoded.superseded.rows.length > 0) {
        const prior = await undoSuperseded(client, options.table, options.dryRun, { importId: options.importId, ...encoded.superseded });
        // Each superseded row leaves the outcome it was counted under for `skipped` (in insert_only mode a row
        // that found its key existing was skipped already).
        const insertOnly = options.mode === 'insert_only';
        write.adjust = { created: -prior.created, updated: -prior.updated, unchanged: insertOnly ? 0 : -prior.other };
        write.skipped += prior.created + prior.updated + (insertOnly ? 0 : prior.other);
      }
      return this.write(write);
    });
  }

  /** Creates the connection's staging table (`createStaging`) before the first chunk that is upserted. */
  private async ensureStaging(): Promise<void> {
    if (this.staging) return;
    await createStaging(this.client, this.options.table);
    this.staging = true;
  }

  /**
   * BEGIN, COPY, the write statement (its `copied` form: it records the copied rows, created, their lineage
   * included, from their keys), COMMIT. `key_exists`, rolled back, when a copied key exists: the chunk is
   * to be upserted, and so are the next ones.
   */
  private async copyIn(pieces: readonly string[], write: ChunkWrite): Promise<CommitOutcome | 'key_exists'> {
    try {
      return await this.transaction(async () => {
        await copyRows(this.client, this.options.table, pieces);
        return this.write(write);
      });
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      return 'key_exists';
    }
  }

  private async write(chunk: ChunkWrite): Promise<CommitOutcome> {
    const { table, mode, dryRun } = this.options;
    const added = await writeChunk(this.client, table, mode, dryRun, chunk);
    this.written = added && ownRows(added, chunk.adjust);
    return added ? 'committed' : 'fenced';
  }

  /** Runs `work` between BEGIN and COMMIT; rolls back when it is fenced or throws. */
  private async transaction(work: () => Promise<CommitOutcome>): Promise<CommitOutcome> {
    if (this.options.inTransaction) return work();
    await this.client.query('BEGIN');
    try {
      const outcome = await work();
      await this.client.query(outcome === 'committed' ? 'COMMIT' : 'ROLLBACK');
      return outcome;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Empties the import's write journal, once its last chunk is committed. */
  async clearJournal(): Promise<void> {
    await clearWriteJournal(this.client, this.options.importId);
  }

  /** Gives the connection back (as it was), or drops it if it is broken. */
  async close(): Promise<void> {
    try {
      if (this.resetSession) await this.client.query(this.resetSession);
      this.client.release();
    } catch (error) {
      this.client.release(error as Error);
    }
  }
}

/**
 * A chunk's own rows by outcome: what it added to its import's totals, less the corrections for rows of
 * earlier chunks it superseded (`adjust`: they leave the outcome they were counted under for `skipped`).
 * Each row of a file is counted once, under the outcome its chunk committed it with.
 */
function ownRows(added: ChunkTotals, adjust: ChunkRecord['adjust']): ChunkTotals {
  const superseded = -(adjust.created + adjust.updated + adjust.unchanged);
  return {
    created: added.created - adjust.created,
    updated: added.updated - adjust.updated,
    unchanged: added.unchanged - adjust.unchanged,
    skipped: added.skipped - superseded,
    failed: added.failed,
  };
}
