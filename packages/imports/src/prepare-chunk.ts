import type { ChunkEncoding, ChunkToCommit, Queryable, RowErrorInput } from '@importer/db';
import { cellText } from './cells';
import type { MappedColumn } from './headers';
import { KeyIndex } from './key-index';
import type { LookupCache } from './lookups';
import type { ImportOptions } from './options';
import type { Profile, RowIssue, ValidRow } from './profiles';
import type { SourceRecord } from './readers';
import { validateRecords } from './validate';

/**
 * A chunk validated, looked up and freed of duplicate keys, its rows encoded for the database: ready for
 * one transaction (`ChunkWriter.commit`).
 */
export type PreparedChunk = ChunkToCommit;

const duplicateWarning = (row: number, later: number): RowIssue => ({
  row,
  column: null,
  code: 'duplicate_key',
  message: `row ${later} repeats this row's key later in the file; the last row with a key wins, so this row is skipped`,
  value: null,
  level: 'warning',
});

/** The chunk being filled. */
interface OpenChunk {
  fromRow: number;
  toRow: number;
  rows: number;
  failed: number;
  warnings: number;
  issues: RowErrorInput[];
  /** Its rows, encoded a read batch at a time: only flat text accumulates while the chunk fills. */
  encoded: ChunkEncoding;
}

/**
 * Turns records into chunks ready to write, remembering for the whole import the last written row of every
 * key (`KeyIndex`, bounded memory), so that a key repeated anywhere in the file, also across chunks,
 * leaves only its last row written: an earlier row of the same chunk is dropped; one of an earlier, already
 * committed chunk is marked superseded (`ChunkEncoding.supersede`), for the chunk's commit to undo it first. Only rows that
 * reach the table take part: a row failed by its cells or look-ups hides nothing.
 *
 * Records come in small read batches (`add`) and are validated, looked up and encoded at once, so that the
 * reader's arrays and strings and the table rows die young (a million-row file must not promote them all to
 * the old generation); only the open chunk's encoded text stays until `take` joins it.
 */
export class ChunkPreparer {
  private readonly keys = new KeyIndex();
  private open: OpenChunk;

  constructor(
    private readonly profile: Profile,
    private readonly columns: readonly MappedColumn[],
    private readonly cache: LookupCache,
    private readonly options: ImportOptions,
    private readonly context: { db: Queryable; maxCellChars: number },
    /** A new chunk's encoding (the chunk writer's: it knows the database's formats). */
    private readonly newEncoding: () => ChunkEncoding,
    checkpoint: number,
  ) {
    this.open = this.newChunk(checkpoint);
  }

  /** Non-empty records in the open chunk. */
  get pendingRows(): number {
    return this.open.rows;
  }

  /** True when the open chunk moved the checkpoint without a row (only empty records since the last chunk). */
  get pendingCheckpoint(): boolean {
    return this.open.toRow > this.open.fromRow;
  }

  /** Validates and looks up records without writing them (`prepare` minus the output). */
  private async accepted(batch: readonly SourceRecord[]) {
    const validated = validateRecords(this.profile, this.columns, batch, this.context.maxCellChars);
    const prepared = await this.profile.prepare(validated.valid, {
      db: this.context.db,
      cache: this.cache,
      options: { createMissingCategories: this.options.createMissingCategories, dryRun: this.options.dryRun },
    });
    const keys = keysOf(this.profile, validated.valid, prepared.rows);
    return { validated, prepared, keys };
  }

  /**
   * Replays rows an earlier attempt already committed (a resumed import): their keys are remembered as
   * written, nothing else happens.
   */
  async remember(batch: readonly SourceRecord[]): Promise<void> {
    const { prepared, keys } = await this.accepted(batch);
    for (let i = 0; i < keys.length; i++) this.keys.set(keys[i] as string, prepared.rows[i] as number);
  }

  /** Adds records (rows after the open chunk's start, in file order) to the open chunk. */
  async add(batch: readonly SourceRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const chunk = this.open;
    const { validated, prepared, keys } = await this.accepted(batch);
    const duplicates: RowIssue[] = [];
    for (let i = 0; i < prepared.records.length; i++) {
      const row = prepared.rows[i] as number;
      const earlier = this.keys.set(keys[i] as string, row);
      if (earlier === 0) continue;
      duplicates.push(duplicateWarning(earlier, row));
      if (earlier > chunk.fromRow) chunk.encoded.drop(earlier);
      else chunk.encoded.supersede(prepared.records[i] as Record<string, unknown>, earlier);
    }
    chunk.encoded.add(prepared.records as Record<string, unknown>[], prepared.rows);
    chunk.toRow = batch.at(-1)?.row ?? chunk.toRow;
    chunk.rows += validated.rows;
    chunk.failed += validated.failed + new Set(prepared.rejected.map((issue) => issue.row)).size;
    chunk.warnings += duplicates.length + prepared.warnings.length;
    const issues = [...validated.issues, ...prepared.rejected, ...duplicates, ...prepared.warnings];
    if (issues.length > 0) chunk.issues.push(...withRawCells(issues, batch));
  }

  /** Closes the open chunk; the next one starts after it. */
  take(): PreparedChunk {
    const { encoded, fromRow, toRow, rows, failed, warnings, issues } = this.open;
    this.open = this.newChunk(toRow);
    return { fromRow, toRow, rows, failed, warnings, issues: issues.sort((a, b) => a.row - b.row), encoded };
  }

  private newChunk(fromRow: number): OpenChunk {
    return { fromRow, toRow: fromRow, rows: 0, failed: 0, warnings: 0, issues: [], encoded: this.newEncoding() };
  }
}

/** The key of each prepared record, from the valid rows (both lists are in row order). */
function keysOf(profile: Profile, valid: readonly ValidRow[], recordRows: readonly number[]): string[] {
  const keys = new Array<string>(recordRows.length);
  let v = 0;
  for (let i = 0; i < recordRows.length; i++) {
    while ((valid[v] as ValidRow).row !== recordRows[i]) v++;
    keys[i] = profile.key((valid[v] as ValidRow).values);
  }
  return keys;
}

/** Attaches the original cells to errors (warnings do not need them). */
function withRawCells(issues: RowIssue[], batch: readonly SourceRecord[]): RowErrorInput[] {
  const failedRows = new Set(issues.filter((issue) => issue.level === 'error').map((issue) => issue.row));
  const raws = new Map<number, string[]>();
  if (failedRows.size > 0) {
    for (const { row, cells } of batch) {
      if (failedRows.has(row))
        raws.set(
          row,
          cells.map((cell) => (cell === null ? '' : cellText(cell))),
        );
    }
  }
  return issues.map((issue) => ({ ...issue, raw: issue.level === 'error' ? (raws.get(issue.row) ?? null) : null }));
}
