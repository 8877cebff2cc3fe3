import { copyText } from '../sql/copy-rows';
import { encodeInput, inputParams, type UpsertTable } from '../sql/upsert';

/**
 * One chunk's rows as the database will receive them, encoded a read batch at a time (`add`), so that the
 * domain's records and raw cells never outlive their batch: the write statement's array parameters and,
 * while chunks are still copied in, the same rows as COPY text. Also what the chunk's commit must leave out
 * or undo: rows of this chunk that a later row of it supersedes (`drop`), rows of earlier, committed chunks
 * that a row of it supersedes (`supersede`). Opaque to the domain: only the chunk writer reads it.
 */
export class ChunkEncoding {
  private readonly batches: string[][] = [];
  /** COPY text per batch, while every batch could be copied in; else null. */
  private copyBatches: string[] | null = [];
  /** The file rows of that COPY text. */
  private readonly copyRows: number[] = [];
  /** Rows of this chunk left out because a later row of it has the same key. */
  readonly dropped: number[] = [];
  /** Rows of earlier chunks that this chunk supersedes: their key (one array per key column) and row. */
  readonly superseded: { keys: unknown[][]; rows: number[] };

  constructor(
    private readonly spec: UpsertTable,
    /** Whether the writer still copies chunks in (asked at each batch: once it stops, this chunk is upserted). */
    private readonly copying: () => boolean,
  ) {
    this.superseded = { keys: spec.key.map(() => []), rows: [] };
  }

  /** Encodes a batch of table rows (objects keyed by column) with their file rows, in file order. */
  add(records: readonly Record<string, unknown>[], rows: readonly number[]): void {
    this.batches.push(encodeInput(this.spec, records, rows));
    if (this.copyBatches && this.copying()) {
      this.copyBatches.push(copyText(this.spec, records));
      this.copyRows.push(...rows);
    } else {
      this.copyBatches = null;
    }
  }

  /** An earlier row of this chunk whose key a later row repeats: the write statement leaves it out. */
  drop(row: number): void {
    this.dropped.push(row);
  }

  /** A row of an earlier, committed chunk whose key `record` (a row of this chunk) repeats: undone first. */
  supersede(record: Record<string, unknown>, row: number): void {
    this.spec.key.forEach((key, n) => this.superseded.keys[n]?.push(record[key]));
    this.superseded.rows.push(row);
  }

  /**
   * The rows as COPY text, when every batch was encoded while copying and every row can simply be inserted
   * (none dropped, none superseding an earlier chunk's); else null.
   */
  copy(): { text: string; rows: readonly number[] } | null {
    if (!this.copyBatches || this.dropped.length > 0 || this.superseded.rows.length > 0) return null;
    return { text: this.copyBatches.join(''), rows: this.copyRows };
  }

  /** The write statement's input parameters (`inputCte`). */
  inputParams(): string[] {
    return inputParams(this.spec, this.batches, this.dropped);
  }
}
