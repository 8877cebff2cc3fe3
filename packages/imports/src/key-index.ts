/**
 * The last written row of every natural key of an import, for duplicate keys anywhere in a file. A million
 * keys held as JavaScript strings in a Map take about 100 MB; here a key takes one slot of three 32-bit
 * integers in one array (its 64-bit hash in two lanes, and its row): 12 bytes a slot, the table growing by
 * half when three quarters full, so about 17 MB for a million keys (25 MB with power-of-two sizes).
 * Keys are compared by their 64-bit hash: two different keys of one file share one with a probability of
 * about n²/2⁶⁵, 3·10⁻⁸ for a million keys.
 */
export class KeyIndex {
  /** Per slot: hash lane 1, hash lane 2, row (0 marks an empty slot: file rows start at 2). */
  private slots: Int32Array;
  private capacity: number;
  private count = 0;
  private h1 = 0;
  private h2 = 0;

  constructor(initialSlots = 1 << 14) {
    this.capacity = Math.max(16, Math.ceil(initialSlots));
    this.slots = new Int32Array(this.capacity * 3);
  }

  get size(): number {
    return this.count;
  }

  /** The row last recorded for `key`, or 0. */
  get(key: string): number {
    this.hash(key);
    return this.slots[this.find(this.h1, this.h2) + 2] as number;
  }

  /** Records `row` as the last row of `key`; returns the row it replaces, or 0. */
  set(key: string, row: number): number {
    this.hash(key);
    const at = this.find(this.h1, this.h2);
    const { slots } = this;
    const previous = slots[at + 2] as number;
    if (previous === 0) {
      slots[at] = this.h1;
      slots[at + 1] = this.h2;
      this.count++;
    }
    slots[at + 2] = row;
    if (previous === 0 && this.count * 4 > this.capacity * 3) this.grow();
    return previous;
  }

  /**
   * Linear probing: the index in `slots` of the slot holding this hash, or of the empty slot where it
   * belongs. The first slot is the mixed hash scaled to the capacity (any capacity, not only powers of two).
   */
  private find(h1: number, h2: number): number {
    const { slots, capacity } = this;
    let slot = Math.floor((((h1 ^ (h2 >>> 7)) >>> 0) * capacity) / 4294967296);
    for (;;) {
      const at = slot * 3;
      if (slots[at + 2] === 0 || (slots[at] === h1 && slots[at + 1] === h2)) return at;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.capacity = Math.ceil(this.capacity * 1.5);
    this.slots = new Int32Array(this.capacity * 3);
    for (let at = 0; at < old.length; at += 3) {
      if (old[at + 2] === 0) continue;
      const to = this.find(old[at] as number, old[at + 1] as number);
      this.slots[to] = old[at] as number;
      this.slots[to + 1] = old[at + 1] as number;
      this.slots[to + 2] = old[at + 2] as number;
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
