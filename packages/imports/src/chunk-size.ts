import type { ChunkSizing } from '@importer/config';

/** The chunk sizes an attempt chose, in rows, and how many chunks it wrote (all 0 when it wrote none). */
export interface ChunkRows {
  min: number;
  median: number;
  max: number;
  chunks: number;
}

/** A chunk may grow at most this much after one chunk fast enough… */
const MAX_GROWTH = 2;
/** … and shrink at most this much after one too slow (a single stall behind a lock is not the new rate). */
const MAX_SHRINK = 1 / 4;
/** Sizes are whole hundreds (within the bounds), for readable logs and fewer split read batches. */
const STEP = 100;

/**
 * How many rows the next chunk of an attempt holds: each chunk should take about `targetMs` of database
 * time, whatever the table and the load. Told each committed chunk's rows and seconds, it grows the size
 * while chunks are faster than that (toward the size that would take the target at their rate, at most ×2
 * a chunk) and shrinks it as soon as one is slower (to that size, at most ÷4 a chunk), within
 * `min`…`max`; a retried attempt starts at `min`. Deterministic: no clock, only what it is told.
 *
 * Chunks are pipelined (the next one fills while the database writes the current one), so the size read
 * while chunk N+1 fills knows chunk N-1's time at best; growth is therefore measured from the chunk that was
 * timed, never compounded on a size not yet timed, and a chunk that was fast never shrinks the size nor a
 * slow one grow it.
 */
export class ChunkSizer {
  private readonly sizing: ChunkSizing;
  private current: number;
  private readonly chosen: number[] = [];

  constructor(
    /** The sizing (`chunkSizing(config)`), or a size every chunk holds (pinned: `CHUNK_SIZE`, tests). */
    sizing: ChunkSizing | number,
    /** A later attempt (a retry, a crashed or stopped worker's import resumed) starts at `min`. */
    retried = false,
  ) {
    this.sizing = typeof sizing === 'number' ? { initial: sizing, min: sizing, max: sizing, targetMs: 500 } : sizing;
    this.current = retried ? this.sizing.min : this.bounded(this.sizing.initial);
  }

  /** Rows the chunk being filled may hold. */
  get size(): number {
    return this.current;
  }

  /** The most rows a chunk may hold. */
  get maxSize(): number {
    return this.sizing.max;
  }

  /** A chunk of `rows` committed in `seconds` of database time: the next size. */
  committed(rows: number, seconds: number): void {
    if (rows <= 0) return;
    const target = this.sizing.targetMs / 1000;
    const rate = seconds > 0 ? target / seconds : MAX_GROWTH;
    if (rate >= 1) this.current = Math.max(this.current, this.bounded(rows * Math.min(rate, MAX_GROWTH)));
    else this.current = Math.min(this.current, this.bounded(rows * Math.max(rate, MAX_SHRINK)));
  }

  /** The chunk being filled is closed at the current size (its last one may hold fewer rows: the file ended). */
  chunkClosed(): void {
    this.chosen.push(this.current);
  }

  /** The sizes chosen for the chunks closed so far. */
  summary(): ChunkRows {
    const sorted = [...this.chosen].sort((a, b) => a - b);
    const n = sorted.length;
    if (n === 0) return { min: 0, median: 0, max: 0, chunks: 0 };
    const middle = ((sorted[(n - 1) >> 1] as number) + (sorted[n >> 1] as number)) / 2;
    return { min: sorted[0] as number, median: Math.round(middle), max: sorted[n - 1] as number, chunks: n };
  }

  private bounded(rows: number): number {
    const { min, max } = this.sizing;
    return Math.min(max, Math.max(min, Math.round(rows / STEP) * STEP));
  }
}
