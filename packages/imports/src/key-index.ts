/**
 * The last written row of every natural key of an import, for duplicate keys anywhere in a file. A million
 * keys held as JavaScript strings in a Map take about 100 MB; here a key takes one slot of three 32-bit
 * arrays (its 64-bit hash in two lanes, and its row): 12 bytes, about 24 MB for a million keys (tables
 * double when 60% full). Keys are compared by their 64-bit hash: two different keys of one file share one
 * with a probability of about n²/2⁶⁵, 3·10⁻⁸ for a million keys.
 */
export class KeyIndex {
  private lane1: Int32Array;
  private lane2: Int32Array;
  /** Row of each slot; 0 marks an empty slot (file rows start at 2). */
  private rows: Int32Array;
  private mask: number;
  private count = 0;
  private h1 = 0;
  private h2 = 0;

  constructor(initialSlots = 1 << 14) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, initialSlots)));
    this.lane1 = new Int32Array(slots);
    this.lane2 = new Int32Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The row last recorded for `key`, or 0. */
  get(key: string): number {
    this.hash(key);
    return this.rows[this.find(this.h1, this.h2)] as number;
  }

  /** Records `row` as the last row of `key`; returns the row it replaces, or 0. */
  set(key: string, row: number): number {
    this.hash(key);
    const slot = this.find(this.h1, this.h2);
    const previous = this.rows[slot] as number;
    if (previous === 0) {
      this.lane1[slot] = this.h1;
      this.lane2[slot] = this.h2;
      this.count++;
    }
    this.rows[slot] = row;
    if (previous === 0 && this.count > this.mask * 0.6) this.grow();
    return previous;
  }

  /** Linear probing: the slot holding this hash, or the empty slot where it belongs. */
  private find(h1: number, h2: number): number {
    const { lane1, lane2, rows, mask } = this;
    let slot = (h1 ^ (h2 >>> 7)) & mask;
    while (rows[slot] !== 0 && (lane1[slot] !== h1 || lane2[slot] !== h2)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { lane1, lane2, rows } = this;
    const slots = rows.length * 2;
    this.lane1 = new Int32Array(slots);
    this.lane2 = new Int32Array(slots);
    this.rows = new Int32Array(slots);
    this.mask = slots - 1;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === 0) continue;
      const slot = this.find(lane1[i] as number, lane2[i] as number);
      this.lane1[slot] = lane1[i] as number;
      this.lane2[slot] = lane2[i] as number;
      this.rows[slot] = rows[i] as number;
    }
  }

  /** Two 32-bit lanes over the UTF-16 code units, mixed at the end (cyrb53's construction, kept 64 bits). */
  private hash(key: string): void {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.h1 = h1 | 0;
    this.h2 = h2 | 0;
  }
}
