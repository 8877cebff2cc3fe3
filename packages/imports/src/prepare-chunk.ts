import { copyText, encodeInput, type Queryable, type RowErrorInput } from '@importer/db';
import { cellText } from './cells';
import type { MappedColumn } from './headers';
import { KeyIndex } from './key-index';
import type { LookupCache } from './lookups';
import type { ImportOptions } from './options';
import type { Profile, RowIssue, ValidRow } from './profiles';
import type { SourceRecord } from './readers';
import { validateRecords } from './validate';

/** A chunk validated, looked up, freed of duplicate keys and encoded: ready for one transaction. */
export interface PreparedChunk {
  /** The checkpoint the chunk starts after. */
  fromRow: number;
  /** Its last record's row: the next checkpoint. */
  toRow: number;
  /** Non-empty records: each ends as exactly one outcome. */
  rows: number;
  /** Records to write, encoded a read batch at a time (`encodeInput`), joined by `inputParams` when written. */
  input: string[][];
  /** Rows of the chunk dropped because a later row of it has the same key (left out by the write statement). */
  dropped: number[];
  /**
   * The same records as COPY text with their rows, when every batch was added to be copied in and no record
   * of the chunk is dropped or supersedes an earlier chunk's; `input` is then the fallback, should a key
   * exist after all.
   */
  copy: { text: string; recordRows: number[] } | null;
  /**
   * Rows of earlier chunks whose key a row of this chunk repeats: `keys` holds the table key (one array
   * per key column), `rows` the earlier row. Their outcome moves to `skipped` when this chunk commits.
   */
  superseded: { keys: unknown[][]; rows: number[] };
  failed: number;
  /** Rows of this chunk skipped because a later row of it has the same key. */
  skipped: number;
  warnings: number;
  /** Errors (with the row's original cells) and warnings, in row order. */
  issues: RowErrorInput[];
}

const duplicateWarning = (row: number, later: number): RowIssue => ({
  row,
  column: null,
  code: 'duplicate_key',
  message: `row ${later} repeats this row's key later in the file; the last row with a key wins, so this row is skipped`,
  value: null,
  level: 'warning',
});

/**
 * The chunk being filled. Each read batch is encoded as soon as it is validated and looked up, so that
 * only flat text accumulates here: records and raw cells never outlive their batch (short-lived objects
 * die in the young generation instead of being copied and promoted with every chunk).
 */
interface OpenChunk {
  fromRow: number;
  toRow: number;
  rows: number;
  /** One `encodeInput` per batch. */
  input: string[][];
  /** COPY text per batch, while every batch was asked to be copyable; else null. */
  copy: string[] | null;
  /** The rows of that COPY text. */
  copyRows: number[];
  /** Rows dropped because a later row of the chunk has the same key (left out by the write statement). */
  dropped: number[];
  superseded: { keys: unknown[][]; rows: number[] };
  failed: number;
  warnings: number;
  issues: RowErrorInput[];
}

/**
 * Turns records into chunks ready to write, remembering for the whole import the last written row of every
 * key (`KeyIndex`, bounded memory), so that a key repeated anywhere in the file, also across chunks,
 * leaves only its last row written: an earlier row of the same chunk is dropped; one of an earlier, already
 * committed chunk is reported in `superseded`, for the chunk's transaction to undo it first. Only rows that
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

  /**
   * Adds records (rows after the open chunk's start, in file order) to the open chunk. `copy`: also encode
   * them as COPY text, for a chunk to be copied in (once a batch is added without, the chunk is not).
   */
  async add(batch: readonly SourceRecord[], copy = false): Promise<void> {
    if (batch.length === 0) return;
    const chunk = this.open;
    const { validated, prepared, keys } = await this.accepted(batch);
    const duplicates: RowIssue[] = [];
    for (let i = 0; i < prepared.records.length; i++) {
      const row = prepared.rows[i] as number;
      const earlier = this.keys.set(keys[i] as string, row);
      if (earlier === 0) continue;
      duplicates.push(duplicateWarning(earlier, row));
      if (earlier > chunk.fromRow) {
        chunk.dropped.push(earlier);
      } else {
        const record = prepared.records[i] as Record<string, unknown>;
        this.profile.table.key.forEach((k, n) => chunk.superseded.keys[n]?.push(record[k]));
        chunk.superseded.rows.push(earlier);
      }
    }
    chunk.input.push(encodeInput(this.profile.table, prepared.records as Record<string, unknown>[], prepared.rows));
    if (copy && chunk.copy) {
      chunk.copy.push(copyText(this.profile.table, prepared.records as Record<string, unknown>[]));
      chunk.copyRows.push(...prepared.rows);
    } else {
      chunk.copy = null;
    }
    chunk.toRow = batch.at(-1)?.row ?? chunk.toRow;
    chunk.rows += validated.rows;
    chunk.failed += validated.failed + new Set(prepared.rejected.map((issue) => issue.row)).size;
    chunk.warnings += duplicates.length + prepared.warnings.length;
    const issues = [...validated.issues, ...prepared.rejected, ...duplicates, ...prepared.warnings];
    if (issues.length > 0) chunk.issues.push(...withRawCells(issues, batch));
  }

  /**
   * Closes the open chunk, encoded for the write statement and, when it was added to be copied in and every
   * record of it can simply be inserted (none dropped, none superseding an earlier chunk's), as COPY text;
   * the next chunk starts after it. (The writer still decides whether to copy.)
   */
  take(): PreparedChunk {
    const chunk = this.open;
    this.open = this.newChunk(chunk.toRow);
    const copyable = chunk.copy !== null && chunk.dropped.length === 0 && chunk.superseded.rows.length === 0;
    return {
      fromRow: chunk.fromRow,
      toRow: chunk.toRow,
      rows: chunk.rows,
      input: chunk.input,
      dropped: chunk.dropped,
      copy: copyable ? { text: (chunk.copy as string[]).join(''), recordRows: chunk.copyRows } : null,
      superseded: chunk.superseded,
      failed: chunk.failed,
      skipped: chunk.dropped.length,
      warnings: chunk.warnings,
      issues: chunk.issues.sort((a, b) => a.row - b.row),
    };
  }

  private newChunk(fromRow: number): OpenChunk {
    return {
      fromRow,
      toRow: fromRow,
      rows: 0,
      input: [],
      copy: [],
      copyRows: [],
      dropped: [],
      superseded: { keys: this.profile.table.key.map(() => []), rows: [] },
      failed: 0,
      warnings: 0,
      issues: [],
    };
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
      if (failedRows.has(row)) raws.set(row, cells.map((cell) => (cell === null ? '' : cellText(cell))));
    }
  }
  return issues.map((issue) => ({ ...issue, raw: issue.level === 'error' ? (raws.get(issue.row) ?? null) : null }));
}
