import { SharedStrings } from '../src/readers/shared-strings';

describe('the disk-backed shared-string table', () => {
  it('gives back every string, across pages, through a cache far smaller than the table', () => {
    const strings = new SharedStrings({ cacheBytes: 128 * 1024 }); // two 64 KB pages of text
    const values = Array.from({ length: 50_000 }, (_, n) => (n % 7 === 0 ? '' : `chaîne ${n} – ${'é'.repeat(n % 13)} €`));
    values.push('x'.repeat(300_000)); // larger than a page and than the write buffer
    values.push('fin');
    for (const value of values) strings.add(value);
    expect(strings.length).toBe(values.length);
    // forwards, backwards and at random: all exact
    for (let n = 0; n < values.length; n += 97) expect(strings.get(n)).toBe(values[n]);
    for (let n = values.length - 1; n >= 0; n -= 89) expect(strings.get(n)).toBe(values[n]);
    for (let k = 0; k < 2000; k++) {
      const n = (k * 7919) % values.length;
      expect(strings.get(n)).toBe(values[n]);
    }
    expect(strings.get(values.length - 2)).toHaveLength(300_000);
    strings.close();
  });

  it('answers undefined for a position outside the table', () => {
    const strings = new SharedStrings();
    strings.add('a');
    expect(strings.get(1)).toBeUndefined();
    expect(strings.get(-1)).toBeUndefined();
    expect(strings.get(0.5)).toBeUndefined();
    expect(strings.get(0)).toBe('a');
    strings.close();
    strings.close(); // idempotent
  });
});
