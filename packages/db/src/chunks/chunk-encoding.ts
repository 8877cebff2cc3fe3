import { copyText, stagedFromCopy, stagedText } from '../sql/copy-rows';
import { columnBodies } from '../sql/pg-arrays';
import type { UpsertTable } from '../sql/upsert';

/**
 * A read batch as it was encoded: COPY text for the staging table (`stagedText`), or, while the chunk is
 * copied into the table itself, COPY text for the table with the few bodies the copied chunk's statement
 * takes (keys, file rows) and the raw values of the computed columns (the COPY text holds their `created`
 * values), from which its staged text is made only if the chunk is upserted after all (`stagedFromCopy`).
 */
type EncodedBatch = { staged: string } | CopiedBatch;
interface CopiedBatch {
  copy: string;
  keys: string[];
  rows: readonly number[];
  /** By column index: the computed columns' values as the records held them. */
  computed: Map<number, unknown[]>;
}

/**
 * One chunk's rows as the database will receive them, encoded a read batch at a time (`add`), so that the
 * domain's records and raw cells never outlive their batch: while chunks are still copied in, as COPY text
 * for the table (turned into staged text only if the COPY meets an existing key); else as COPY text for the
 * staging table the write statement reads. Also what the chunk's commit must leave out or undo: rows of
 * this chunk that a later row of it supersedes (`drop`), rows of earlier, committed chunks that a row of
 * it supersedes (`supersede`). Opaque to the domain: only the chunk writer reads it.
 */
export class ChunkEncoding {
  private readonly batches: EncodedBatch[] = [];
  /** The file rows of the batches encoded as COPY text for the table. */
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
    if (!this.copying()) {
      this.batches.push({ staged: stagedText(this.spec, records, rows) });
      return;
    }
    const computed = new Map<number, unknown[]>();
    this.spec.columns.forEach((column, n) => {
      if (column.created)
        computed.set(
          n,
          records.map((record) => record[column.name] ?? null),
        );
    });
    this.batches.push({ copy: copyText(this.spec, records), keys: columnBodies(records, this.spec.key), rows, computed });
    this.copyRows.push(...rows);
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
   * The rows as COPY text for the table, a piece per read batch (`copyIn`), with the parameters of the
   * statement that records them (`copiedInputCte`: the key columns', then the file rows'), when every batch
   * was encoded while copying and every row can simply be inserted (none dropped, none superseding an
   * earlier chunk's); else null.
   */
  copy(): { pieces: string[]; rows: readonly number[]; params: string[] } | null {
    if (this.dropped.length > 0 || this.superseded.rows.length > 0) return null;
    const batches: CopiedBatch[] = [];
    for (const batch of this.batches) {
      if (!('copy' in batch)) return null;
      batches.push(batch);
    }
    const params = this.spec.key.map((_, k) => literal(batches.map((batch) => batch.keys[k] as string)));
    params.push(literal(batches.map((batch) => batch.rows.join(','))));
    return { pieces: batches.map((batch) => batch.copy), rows: this.copyRows, params };
  }

  /** The rows as COPY text for the staging table (`copyStaged`), a piece per read batch, the dropped ones included. */
  staged(): string[] {
    return this.batches.map((batch) => ('copy' in batch ? stagedFromCopy(batch.copy, batch.computed, batch.rows) : batch.staged));
  }

  /** The write statement's input parameters for the staged rows (`stagedInputCte`): the dropped rows. */
  stagedParams(): string[] {
    return [`{${this.dropped.join(',')}}`];
  }
}

/** An array literal joining the bodies of several batches. */
const literal = (bodies: readonly string[]) => `{${bodies.filter((body) => body !== '').join(',')}}`;
