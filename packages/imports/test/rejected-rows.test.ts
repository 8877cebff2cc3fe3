import Papa from 'papaparse';
import { csvLines, neutralise, rejectedRowCells, rejectedRowsHeader } from '../src/rejected-rows';

describe('rejected rows as CSV', () => {
  it('prefixes with a quote every cell a spreadsheet would read as a formula', () => {
    for (const cell of ['=1+1', '+33', '-5', '@SUM(A1)', '\tx', '\rx', '\nx']) expect(neutralise(cell)).toBe(`'${cell}`);
    for (const cell of ['', 'Acme', ' =1', "'=1", '5-3', 'Dupont, Jean-Pierre', 'a; b', 'x = y + 1', 'oui/non'])
      expect(neutralise(cell)).toBe(cell);
  });

  it('neutralises every piece a spreadsheet splitting on , ; or tab would make, quotes opening it included', () => {
    expect(neutralise("x,=cmd|' /C calc'!A0,y")).toBe("x,'=cmd|' /C calc'!A0,y");
    expect(neutralise('a;+1+1;b')).toBe("a;'+1+1;b");
    expect(neutralise('p\t-2+3')).toBe("p\t'-2+3");
    expect(neutralise('line\n@SUM(A1)\r\n=1')).toBe("line\n'@SUM(A1)\r\n'=1");
    expect(neutralise('a,"=1+1"')).toBe('a,"\'=1+1"');
    expect(neutralise('=a,=b;-c')).toBe("'=a,'=b;'-c");
    // Whatever the cell, no piece of any split starts a formula (a quote opening a piece counts for nothing).
    const hostile = ['=1', ',=1', ';+1', '\t-1', '\n@x', ',"=1', ',""@x', 'a,=b;=c\t=d', '-', ',,=,;'];
    for (const cell of hostile) {
      for (const delimiter of [',', ';', '\t', '\n']) {
        for (const piece of neutralise(cell).split(delimiter))
          expect({ cell, delimiter, piece, formula: /^"*[=+\-@]/.test(piece) }).toMatchObject({ formula: false });
      }
    }
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
    const lines = [
      ['a,b', 'say "hi"', 'two\nlines', ' padded '],
      ['', 'é', 'x', 'y'],
    ];
    const text = csvLines(lines, ',');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(Papa.parse<string[]>(text, { skipEmptyLines: true }).data).toEqual(lines);
    expect(csvLines([], ',')).toBe('');
  });
});
