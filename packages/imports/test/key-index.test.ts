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
});
