import iconv from 'iconv-lite';
import { isEmptyRecord, openSource } from '../src/readers';
import { cleanUp, LIMITS, readAll, rejection, tempFile } from './read';

afterAll(cleanUp);

const MB = 1024 * 1024;
const nonEmpty = (records: { row: number; cells: unknown[] }[]) => records.filter((record) => !isEmptyRecord(record.cells as never));

describe('CSV delimiters', () => {
  it.each([
    [',', 'comma'],
    [';', 'semicolon'],
    ['\t', 'tab'],
    ['|', 'pipe'],
  ])('reads a file separated by %j (%s) and records the delimiter', async (delimiter) => {
    const text = ['siren', 'nom', 'ville'].join(delimiter) + '\n' + ['123', 'Dupont, père et fils', 'Paris'].join(delimiter) + '\n';
    const { source, headers, records } = await readAll(
      delimiter === ',' ? text.replace('Dupont, père et fils', '"Dupont, père et fils"') : text,
    );
    expect(source.dialect).toEqual({ format: 'csv', encoding: 'utf-8', delimiter, sheet: null });
    expect(headers).toEqual(['siren', 'nom', 'ville']);
    expect(records).toEqual([{ row: 2, cells: ['123', 'Dupont, père et fils', 'Paris'] }]);
  });

  it("takes the delimiter from Excel's sep= line, which is not a row", async () => {
    const { source, headers, records } = await readAll('sep=;\r\nsiren;nom\r\n123;Dupont, SA\r\n');
    expect(source.dialect.delimiter).toBe(';');
    expect(headers).toEqual(['siren', 'nom']);
    expect(records).toEqual([{ row: 2, cells: ['123', 'Dupont, SA'] }]);
  });
});

describe('CSV encodings', () => {
  const text = 'nom;description\nŒuvres d’art;Prix : 12 € – cœur, « élan »\n';
  const expected = [{ row: 2, cells: ['Œuvres d’art', 'Prix : 12 € – cœur, « élan »'] }];

  it('reads UTF-8 without a byte-order mark', async () => {
    const { source, records } = await readAll(Buffer.from(text, 'utf8'));
    expect(source.dialect.encoding).toBe('utf-8');
    expect(records).toEqual(expected);
  });

  it('reads UTF-8 with a byte-order mark, which does not stick to the first header', async () => {
    const { source, headers, records } = await readAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(source.dialect.encoding).toBe('utf-8');
    expect(headers).toEqual(['nom', 'description']);
    expect(records).toEqual(expected);
  });

  it('reads UTF-16 LE and BE with their byte-order marks', async () => {
    const le = await readAll(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]));
    expect(le.source.dialect.encoding).toBe('utf-16le');
    expect(le.headers).toEqual(['nom', 'description']);
    expect(le.records).toEqual(expected);
    const be = await readAll(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf-16be')]));
    expect(be.source.dialect.encoding).toBe('utf-16be');
    expect(be.records).toEqual(expected);
  });

  it('falls back to Windows-1252 when the file is not valid UTF-8, keeping € œ Œ', async () => {
    const bytes = iconv.encode(text, 'windows-1252');
    expect(bytes.includes(0x80)).toBe(true); // € is 0x80 in Windows-1252, a control character in Latin-1
    const { source, records } = await readAll(bytes);
    expect(source.dialect.encoding).toBe('windows-1252');
    expect(records).toEqual(expected);
  });

  it('checks UTF-8 validity across read chunks: a character cut at the 1 MB boundary stays UTF-8', async () => {
    const header = 'nom,ville\n';
    const filler = 'x'.repeat(MB - header.length - 1); // "é" (2 bytes) starts on the last byte of the first MB
    const { source, records } = await readAll(`${header}${filler}é,Paris\nbb,Lyon\n`);
    expect(source.dialect.encoding).toBe('utf-8');
    expect(records.map((record) => record.cells[0]?.toString().slice(-2))).toEqual(['xé', 'bb']);
  });
});

describe('CSV line endings and rows', () => {
  const rows = [
    { row: 2, cells: ['1', 'a'] },
    { row: 3, cells: ['2', 'b'] },
  ];

  it.each([
    ['LF', 'id,v\n1,a\n2,b\n'],
    ['CRLF', 'id,v\r\n1,a\r\n2,b\r\n'],
    ['CR', 'id,v\r1,a\r2,b\r'],
    ['mixed', 'id,v\r\n1,a\n2,b\r'],
    ['no final newline', 'id,v\n1,a\n2,b'],
  ])('reads %s line endings alike', async (_what, text) => {
    const { headers, records } = await readAll(text);
    expect(headers).toEqual(['id', 'v']);
    expect(records).toEqual(rows);
  });

  it('keeps a CRLF cut by the 1 MB read boundary as one line break', async () => {
    const header = 'id,v\r\n';
    const first = `1,${'a'.repeat(MB - header.length - 3)}\r`; // the \r is the last byte of the first MB
    const { records } = await readAll(`${header}${first}\n2,b\r\n`);
    expect(records.map((record) => record.row)).toEqual([2, 3]);
    expect(records[1]?.cells).toEqual(['2', 'b']);
  });

  it('numbers rows as a spreadsheet does: a quoted newline does not start a row', async () => {
    const { records } = await readAll('id,adresse\n1,"Bâtiment B\r\n2e étage"\n2,"a\nb\nc"\n3,z\n');
    expect(records).toEqual([
      { row: 2, cells: ['1', 'Bâtiment B\n2e étage'] },
      { row: 3, cells: ['2', 'a\nb\nc'] },
      { row: 4, cells: ['3', 'z'] },
    ]);
  });

  it('ignores trailing empty columns in the header and trailing empty rows', async () => {
    const { headers, records } = await readAll('siren;nom;;\n1;a;;\n2;b;;\n;;;\n\n\n');
    expect(headers).toEqual(['siren', 'nom']);
    expect(nonEmpty(records)).toEqual([
      { row: 2, cells: ['1', 'a', '', ''] },
      { row: 3, cells: ['2', 'b', '', ''] },
    ]);
  });

  it('skips blank lines before the header', async () => {
    const { headers, records } = await readAll('\n\nid,v\n1,a\n');
    expect(headers).toEqual(['id', 'v']);
    expect(records).toEqual([{ row: 4, cells: ['1', 'a'] }]);
  });

  it('refuses a file without a header row', async () => {
    expect(await rejection(readAll('\n \n\n'))).toMatchObject({ code: 'empty_file' });
  });
});

describe('bad CSV files', () => {
  it('fails an unterminated quote, naming the row where the field opens', async () => {
    const error = await rejection(readAll('id,v\n1,a\n2,"never closed\n3,c\n4,d\n'));
    expect(error).toMatchObject({ code: 'unterminated_quote', details: { row: 3 } });
    expect(error.message).toMatch(/^Row 3: a quoted field is never closed/);
  });

  it('fails an unterminated quote in a large file once the open field passes the record limit', async () => {
    const body = Array.from({ length: 30_000 }, (_, n) => `${n},value ${n}`).join('\n');
    const error = await rejection(readAll(`id,v\n1,"open\n${body}\n${'x'.repeat(MB)}\n`, 'csv', { limits: { maxRecordChars: 100_000 } }));
    expect(error).toMatchObject({ code: 'unterminated_quote', details: { row: 2, column: 2 } });
    expect(error.message).toBe('Row 2, column 2 (v): a quoted field is never closed (a closing " is missing).');
  });

  it('fails a record longer than the record limit, naming the cell too long to read, or the limit', async () => {
    const limits = { maxRecordChars: 100_000, maxCellChars: 1_000 };
    const plain = await rejection(readAll(`id,v\n1,${'x'.repeat(3 * MB)}\n2,b\n`, 'csv', { limits }));
    expect(plain).toMatchObject({ code: 'cell_too_large', details: { row: 2, column: 2, maxCellChars: 1_000 } });
    expect(plain.message).toBe(
      'Row 2, column 2 (v): the cell is longer than 100000 characters, too long to be read; a cell may hold at most 1000 characters (MAX_CELL_KB).',
    );
    // A quoted cell full of commas, quotes and line breaks, closed: too long, not unterminated.
    const quoted = `"${'a,""b""\n'.repeat(MB / 4)}"`;
    expect(await rejection(readAll(`id;v\n1;ok\n2;${quoted};after\n3;c\n`, 'csv', { limits }))).toMatchObject({
      code: 'cell_too_large',
      details: { row: 3, column: 2 },
    });
    // Closed by the file's last character.
    expect(await rejection(readAll(`id,v\n1,${quoted}`, 'csv', { limits }))).toMatchObject({
      code: 'cell_too_large',
      details: { row: 2, column: 2 },
    });
    // Only ""-pairs to the end: never closed.
    expect(await rejection(readAll(`id,v\n1,"${'""'.repeat(MB)}`, 'csv', { limits }))).toMatchObject({
      code: 'unterminated_quote',
      details: { row: 2, column: 2 },
    });
    // Many cells, none too long: the record is.
    const wide = await rejection(
      readAll(`id,v\n1,${Array.from({ length: 200 }, () => 'y'.repeat(900)).join(',')}\n`, 'csv', {
        limits: { ...limits, maxColumns: 500 },
      }),
    );
    expect(wide).toMatchObject({ code: 'record_too_large', details: { row: 2 } });
  });

  it('fails a header or a row with a value past MAX_COLUMNS, ignoring empty trailing cells', async () => {
    const limits = { maxColumns: 3 };
    expect(await rejection(readAll('a,b,c,d\n1,2,3,4\n', 'csv', { limits }))).toMatchObject({
      code: 'too_many_columns',
      details: { row: 1, column: 4 },
    });
    const error = await rejection(readAll('a,b\n1,2,,,,\n3,4,,,x\n', 'csv', { limits }));
    expect(error).toMatchObject({ code: 'too_many_columns', details: { row: 3, column: 5, maxColumns: 3 } });
    expect(error.message).toBe('Row 3 has a value in column 5; at most 3 columns are allowed (MAX_COLUMNS).');
  });
});

describe('streaming', () => {
  it('reads only as fast as batches are consumed, and reports progress from the bytes read', async () => {
    const lines = Array.from({ length: 200_000 }, (_, n) => `${n},${'v'.repeat(20)}`);
    const file = await tempFile(`id,v\n${lines.join('\n')}\n`);
    const source = await openSource(file, 'csv', LIMITS);
    const batches = source.batches(100)[Symbol.asyncIterator]();
    const first = await batches.next();
    expect(first.value).toHaveLength(100);
    expect(source.progress()).toBeGreaterThan(0);
    expect(source.progress()).toBeLessThan(0.5); // ~5 MB file, read 1 MB at a time
    let rows = 100;
    for (let next = await batches.next(); !next.done; next = await batches.next()) rows += next.value.length;
    expect(rows).toBe(200_000);
    expect(source.progress()).toBe(1);
    await source.close();
  });
});
