import { readSepLine, sniffDelimiter } from '../src/readers/csv-dialect';
import { thrown } from './read';

describe('sniffing the delimiter', () => {
  it.each([
    ['comma', 'siren,nom,ville\n123,Dupont,Paris\n456,Martin,Lyon\n', ','],
    ['semicolon, with commas inside fields', 'siren;nom;adresse\n123;Dupont, SA;1, rue X\n456;Martin;"2, rue Y"\n', ';'],
    ['tab, with commas and semicolons inside fields', 'siren\tnom\tadresse\n123\tDupont, SA\t1; rue X\n456\tMartin\t2 rue Y\n', '\t'],
    ['pipe', 'siren|nom|ville\n123|Dupont|Paris\n', '|'],
    ['semicolon, with a quoted newline and trailing empty lines', 'a;b;c\n1;"x\ny";3\n4;5;6\n\n\n', ';'],
    ['semicolon, header only', 'siren;nom;ville\n', ';'],
    ['semicolon, Excel padding with empty trailing columns', 'siren;nom;;\n123;Dupont;;\n456;Martin;;\n', ';'],
  ])('recognises %s', (_what, sample, delimiter) => {
    expect(sniffDelimiter(sample)).toBe(delimiter);
  });

  it('falls back to a comma for a single column', () => {
    expect(sniffDelimiter('nom\nDupont\nMartin\n')).toBe(',');
    expect(sniffDelimiter('')).toBe(',');
  });

  it('ignores a last record cut short by the end of the sample', () => {
    expect(sniffDelimiter('a;b;c\n1;2;3\n4;5;6\n7;8')).toBe(';');
  });
});

describe("Excel's sep= line", () => {
  it('names the delimiter and its length, quoted or not, in any case', () => {
    expect(readSepLine('sep=;\nnom;ville\n')).toEqual({ delimiter: ';', length: 6 });
    expect(readSepLine('"sep=|"\nnom|ville\n')).toEqual({ delimiter: '|', length: 8 });
    expect(readSepLine('SEP=\t\nnom\tville\n')).toEqual({ delimiter: '\t', length: 6 });
    expect(readSepLine('nom;ville\nsep=;\n')).toBeNull();
  });

  it('refuses a delimiter Importer does not read, naming it', () => {
    const error = thrown(() => readSepLine('sep=:\nnom:ville\n'));
    expect(error).toMatchObject({ code: 'unsupported_delimiter' });
    expect(error.message).toContain('":"');
  });
});
