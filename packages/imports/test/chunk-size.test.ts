import { ChunkSizer } from '../src/chunk-size';

const sizing = { initial: 1_000, min: 100, max: 20_000, targetMs: 500 };

/** Feeds the sizer chunks of its own size, each taking `secondsPerRow` per row: the sizes it chose. */
function run(sizer: ChunkSizer, secondsPerRow: number, chunks: number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < chunks; i++) {
    sizes.push(sizer.size);
    sizer.committed(sizer.size, sizer.size * secondsPerRow);
  }
  return sizes;
}

describe('ChunkSizer: about 0.5 s of database time per chunk', () => {
  it('starts at the initial size and grows at most ×2 a chunk while chunks are fast, up to the size that takes the target', () => {
    // 50 µs a row: 10,000 rows take the target.
    expect(run(new ChunkSizer(sizing), 50e-6, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('grows to the upper bound and stays there when even that is fast', () => {
    expect(run(new ChunkSizer(sizing), 1e-6, 7)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000]);
  });

  it('shrinks at once when a chunk is slow: to the size that would have taken the target, at most ÷4 a chunk', () => {
    const sizer = new ChunkSizer({ ...sizing, initial: 16_000 });
    sizer.committed(16_000, 1); // twice the target
    expect(sizer.size).toBe(8_000);
    sizer.committed(8_000, 40); // a stall behind a lock: not the new rate, a quarter at most
    expect(sizer.size).toBe(2_000);
    sizer.committed(2_000, 0.5);
    expect(sizer.size).toBe(2_000);
  });

  it('never leaves its bounds, and sizes are whole hundreds', () => {
    const sizer = new ChunkSizer(sizing);
    for (let i = 0; i < 10; i++) sizer.committed(sizer.size, 100);
    expect(sizer.size).toBe(100);
    sizer.committed(100, 0.0371); // 100 × 2 at most
    expect(sizer.size).toBe(200);
    sizer.committed(200, 0.3); // 333 rows would take the target: 300
    expect(sizer.size).toBe(300);
    sizer.committed(300, 0); // no measurable time: ×2
    expect(sizer.size).toBe(600);
  });

  it('uses the chunk that was timed: a fast one never shrinks the size, a slow one never grows it (pipelined chunks)', () => {
    const sizer = new ChunkSizer(sizing);
    sizer.committed(1_000, 0.05); // → 2,000
    sizer.committed(1_000, 0.4); // the next chunk, filled before that: still fast, so no shrink to 1,300
    expect(sizer.size).toBe(2_000);
    sizer.committed(2_000, 0.1); // → 4,000
    sizer.committed(8_000, 0.8); // slower than the target: no growth, though 5,000 rows would take the target at its rate
    expect(sizer.size).toBe(4_000);
    sizer.committed(500, 1); // a small slow chunk: 250 → 300 (whole hundreds), however large the size was
    expect(sizer.size).toBe(300);
  });

  it('starts a retried attempt at the minimum, then grows again', () => {
    const sizer = new ChunkSizer(sizing, true);
    expect(run(sizer, 10e-6, 3)).toEqual([100, 200, 400]);
  });

  it('ignores a chunk without rows (only empty records moved the checkpoint)', () => {
    const sizer = new ChunkSizer(sizing);
    sizer.committed(0, 5);
    expect(sizer.size).toBe(1_000);
  });

  it('holds a pinned size (CHUNK_SIZE, tests) whatever the times', () => {
    const sizer = new ChunkSizer(3, true);
    expect(run(sizer, 10, 2)).toEqual([3, 3]);
    expect(run(sizer, 1e-9, 2)).toEqual([3, 3]);
  });

  it('sums up the sizes chosen for the chunks closed', () => {
    const sizer = new ChunkSizer(sizing);
    expect(sizer.summary()).toEqual({ min: 0, median: 0, max: 0, chunks: 0 });
    for (const seconds of [0.05, 0.05, 2, 0.4]) {
      sizer.chunkClosed();
      sizer.committed(sizer.size, seconds);
    }
    // 1,000, 2,000, 4,000 (its 4,000 rows took 2 s), then 1,000.
    expect(sizer.summary()).toEqual({ min: 1_000, median: 1_500, max: 4_000, chunks: 4 });
  });
});
