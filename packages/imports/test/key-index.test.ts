import { KeyIndex } from '../src/key-index';

describe('KeyIndex', () => {
  it('remembers the last row of each key and returns the row it replaces', () => {
    const index = new KeyIndex(16);
    expect(index.set('732829320', 2)).toBe(0);
    expect(index.set('552100554', 3)).toBe(0);
    expect(index.set('732829320', 9)).toBe(2);
    expect(index.get('732829320')).toBe(9);
    expect(index.get('552100554')).toBe(3);
    expect(index.get('absent')).toBe(0);
    expect(index.size).toBe(2);
  });

  it('keeps 150,000 distinct keys apart through its growth, with no false match', () => {
    const index = new KeyIndex(16);
    let clashes = 0;
    for (let n = 0; n < 150_000; n++) if (index.set(`cat\u0000sous-catégorie ${n}`, n + 2) !== 0) clashes++;
    expect(clashes).toBe(0);
    expect(index.size).toBe(150_000);
    let wrong = 0;
    for (let n = 0; n < 150_000; n++) if (index.get(`cat\u0000sous-catégorie ${n}`) !== n + 2) wrong++;
    expect(wrong).toBe(0);
    expect(index.get('cat\u0000sous-catégorie 150000')).toBe(0);
  });

  it('holds nine-digit keys (SIRENs) as exact numbers, 8 bytes a slot, leading zeros kept apart from shorter keys', () => {
    const index = new KeyIndex();
    const siren = (n: number) => String(n * 997).padStart(9, '0');
    let clashes = 0;
    for (let n = 0; n < 100_000; n++) if (index.set(siren(n), n + 2) !== 0) clashes++;
    expect(clashes).toBe(0);
    expect(index.size).toBe(100_000);
    // Three quarters full at most, then grown by half: under 16 bytes a key (a hashed key: under 24).
    expect(index.bytes / index.size).toBeLessThan(16);
    let wrong = 0;
    for (let n = 0; n < 100_000; n++) if (index.get(siren(n)) !== n + 2) wrong++;
    expect(wrong).toBe(0);
    // A key repeated later (duplicates across chunks) answers its earlier row, then holds the later one.
    expect(index.set(siren(5), 100_002)).toBe(7);
    expect(index.get(siren(5))).toBe(100_002);
    expect(index.get('000000001')).toBe(0);
    // Not nine digits: hashed, apart from the number it spells.
    expect(index.set('4985', 3)).toBe(0);
    expect(index.get(siren(5))).toBe(100_002);
    expect(index.set('00000498 ', 4)).toBe(0);
    expect(index.set('+00004985', 5)).toBe(0);
    expect(index.get('4985')).toBe(3);
    expect(index.size).toBe(100_003);
  });

  it('keeps digit keys and other keys of one import in their own tables, each allocated by its first key', () => {
    const index = new KeyIndex(16);
    expect(index.bytes).toBe(0);
    index.set('732829320', 2);
    expect(index.bytes).toBe(16 * 8);
    index.set('Boulangerie', 3);
    expect(index.bytes).toBe(16 * 8 + 16 * 12);
    expect(index.get('732829320')).toBe(2);
    expect(index.get('Boulangerie')).toBe(3);
  });
});
