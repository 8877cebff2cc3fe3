/**
 * The last written row of every natural key of an import, for duplicate keys anywhere in a file. A million
 * keys held as JavaScript strings in a Map take about 100 MB; here a key takes one slot of 32-bit integers in
 * one typed array, the table growing by half when three quarters full:
 * - a key of nine digits (a SIREN, the companies' key) is its own number, exact: two lanes (the number, the
 *   row), 8 bytes a slot, about 11 MB for a million keys (19 MB while the table grows);
 * - any other key is its 64-bit hash: three lanes (two hash lanes, the row), 12 bytes a slot, about 17 MB for
 *   a million keys. Two different keys of one file share a hash with a probability of about n²/2⁶⁵, 3·10⁻⁸ for
 *   a million keys.
 * Each table is allocated when its first key comes, so an import of one profile holds one table.
 */
export class KeyIndex {
  private digits: SlotTable | undefined;
  private hashed: SlotTable | undefined;
  private h1 = 0;
  private h2 = 0;

  constructor(private readonly initialSlots = 1 << 14) {}

  get size(): number {
    return (this.digits?.count ?? 0) + (this.hashed?.count ?? 0);
  }

  /** Bytes held by the tables (for tests and measurements). */
  get bytes(): number {
    return (this.digits?.bytes ?? 0) + (this.hashed?.bytes ?? 0);
  }

  /** The row last recorded for `key`, or 0. */
  get(key: string): number {
    const number = nineDigits(key);
    if (number >= 0) return this.digits?.get(number, 0) ?? 0;
    this.hash(key);
    return this.hashed?.get(this.h1, this.h2) ?? 0;
  }

  /** Records `row` (≥ 1) as the last row of `key`; returns the row it replaces, or 0. */
  set(key: string, row: number): number {
    const number = nineDigits(key);
    if (number >= 0) {
      this.digits ??= new SlotTable(2, this.initialSlots);
      return this.digits.set(number, 0, row);
    }
    this.hash(key);
    this.hashed ??= new SlotTable(3, this.initialSlots);
    return this.hashed.set(this.h1, this.h2, row);
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

/** The number a key of exactly nine ASCII digits spells (below 10⁹, so below 2³¹), or -1 for any other key. */
function nineDigits(key: string): number {
  if (key.length !== 9) return -1;
  let number = 0;
  for (let i = 0; i < 9; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

/**
 * Open addressing with linear probing over one Int32Array: per slot, one or two key lanes and the row last
 * (0 marks an empty slot: rows start at 1). The first slot is the mixed key scaled to the capacity (any
 * capacity, not only powers of two).
 */
class SlotTable {
  private slots: Int32Array;
  private capacity: number;
  count = 0;

  /** `lanes`: 2 (one key lane, the row) or 3 (two key lanes, the row). */
  constructor(
    private readonly lanes: 2 | 3,
    initialSlots: number,
  ) {
    this.capacity = Math.max(16, Math.ceil(initialSlots));
    this.slots = new Int32Array(this.capacity * lanes);
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  get(a: number, b: number): number {
    return this.slots[this.find(a, b) + this.lanes - 1] as number;
  }

  set(a: number, b: number, row: number): number {
    const at = this.find(a, b);
    const { slots, lanes } = this;
    const previous = slots[at + lanes - 1] as number;
    if (previous === 0) {
      slots[at] = a;
      if (lanes === 3) slots[at + 1] = b;
      this.count++;
    }
    slots[at + lanes - 1] = row;
    if (previous === 0 && this.count * 4 > this.capacity * 3) this.grow();
    return previous;
  }

  /** The index in `slots` of the slot holding this key, or of the empty slot where it belongs. */
  private find(a: number, b: number): number {
    const { slots, capacity, lanes } = this;
    const mixed = lanes === 3 ? a ^ (b >>> 7) : Math.imul(a ^ (a >>> 15), 2654435761);
    let slot = Math.floor(((mixed >>> 0) * capacity) / 4294967296);
    for (;;) {
      const at = slot * lanes;
      if (slots[at + lanes - 1] === 0 || (slots[at] === a && (lanes === 2 || slots[at + 1] === b))) return at;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    const { lanes } = this;
    this.capacity = Math.ceil(this.capacity * 1.5);
    this.slots = new Int32Array(this.capacity * lanes);
    for (let at = 0; at < old.length; at += lanes) {
      if (old[at + lanes - 1] === 0) continue;
      const b = lanes === 3 ? (old[at + 1] as number) : 0;
      const to = this.find(old[at] as number, b);
      this.slots[to] = old[at] as number;
      this.slots[to + 1] = old[at + 1] as number;
      if (lanes === 3) this.slots[to + 2] = old[at + 2] as number;
    }
  }
}
