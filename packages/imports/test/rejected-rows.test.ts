import Papa from 'papaparse';
import { csvLines, neutralise, rejectedRowCells, rejectedRowsHeader } from '../src/rejected-rows';

describe('rejected rows as CSV', () => {
  it('prefixes with a quote every cell a spreadsheet would read as a formula', () => {
    for (const cell of ['=1+1', '+33', '-5', '@SUM(A1)', '\tx', '\rx', '\nx']) expect(neutralise(cell)).toBe(`'${cell}`);
    for (const cell of ['', 'Acme', ' =1', "'=1", '5-3']) expect(neutralise(cell)).toBe(cell);
  });

  it('lays out the row under the headers, missing cells blank, then its errors joined', () => {
    const cells = rejectedRowCells(['siren', 'nom', 'cp'], {
      raw: ['123', '=cmd'],
      errors: [
        { column: 'siren', code: 'invalid_siren', message: 'siren: must be 9 digits' },
        { column: null, code: 'x', message: '-oops' },
      ],
    });
    expect(cells).toEqual(['123', "'=cmd", '', 'siren; ', 'invalid_siren; x', 'siren: must be 9 digits; -oops']);
    expect(rejectedRowsHeader(['=a', 'b'])).toEqual(["'=a", 'b', 'error_column', 'error_code', 'error_message']);
  });

  it('quotes through papaparse, so the text reads back cell for cell', () => {
    const lines = [['a,b', 'say "hi"', 'two\nlines', ' padded '], ['', 'é', 'x', 'y']];
    const text = csvLines(lines, ',');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(Papa.parse<string[]>(text, { skipEmptyLines: true }).data).toEqual(lines);
    expect(csvLines([], ',')).toBe('');
  });
});
