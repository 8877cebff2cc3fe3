import { SharedStrings } from '../src/readers/shared-strings';
import { RowScanner } from '../src/readers/sheet-row-scanner';
import { sheetParser, type SheetContext } from '../src/readers/sheet-rows';
import type { SourceRecord } from '../src/readers/source';
import { XmlPartParser, type XmlHandlers } from '../src/readers/xml';
import { thrown } from './read';

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

/** The events a part gives, one line each (text handed on in pieces joined), written `piece` bytes at a time. */
function events(xml: string | Buffer, piece = Infinity): string[] {
  const seen: string[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') seen.push(JSON.stringify(text));
    text = '';
  };
  const handlers: XmlHandlers = {
    open(element) {
      flush();
      seen.push(`<${element.name} ${element.attribute('a') ?? ''}|${element.prefixedAttribute('id') ?? ''}>`);
    },
    text: (piece) => (text += piece),
    close(name) {
      flush();
      seen.push(`</${name}>`);
    },
  };
  const parser = new XmlPartParser('part.xml', handlers, 1_000);
  const bytes = Buffer.isBuffer(xml) ? xml : Buffer.from(xml);
  for (let at = 0; at < bytes.length; at += Math.min(piece, bytes.length)) parser.write(bytes.subarray(at, at + piece));
  parser.end();
  return seen;
}

describe('the XML scanner', () => {
  const document =
    '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- a comment --><x:root xmlns:x="urn:x" a=\'1 &amp; 2\'>' +
    '<x:item a="tab\there" r:id="rId7"/>text &lt;&#233;&#x20AC;&gt; &quot;&apos;\r\nline<![CDATA[<raw> & ]]>' +
    '<?pi data?><x:item\n  a = "x" >&#13;</x:item ></x:root>\n';

  it('gives elements by local name, attributes on demand, text with its references decoded and line ends normalised', () => {
    expect(events(document)).toEqual([
      '<root 1 & 2|>',
      '<item tab here|rId7>',
      '</item>',
      JSON.stringify('text <é€> "\'\nline<raw> & '),
      '<item x|>',
      JSON.stringify('\r'),
      '</item>',
      '</root>',
    ]);
  });

  it('gives the same events whatever pieces the bytes arrive in, a character or a reference cut across two', () => {
    const whole = events(document);
    for (const piece of [1, 2, 3, 5, 8, 13]) expect(events(document, piece)).toEqual(whole);
  });

  it('reads UTF-16 parts by their byte-order mark', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<r a="é">€</r>', 'utf16le')]);
    expect(events(utf16, 3)).toEqual(['<r é|>', JSON.stringify('€'), '</r>']);
  });

  it.each([
    ['a close tag that does not match', '<a><b></a></b>'],
    ['an element left open', '<a><b></b>'],
    ['a second root', '<a/><b/>'],
    ['text outside the root', '<a/>text'],
    ['no root at all', '<?xml version="1.0"?>'],
    ['an entity no DTD defines', '<a>&nbsp;</a>'],
    ['a character reference to a character XML forbids', '<a>&#0;</a>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['an unquoted attribute', '<a b=1/>'],
    ['attributes not separated by white space', '<a b="1"c="2"/>'],
    ['markup that is not XML', '<a><!FOO></a>'],
    ['a cut tag at the end', '<a></a'],
  ])('fails on %s (invalid_xml, naming the part)', (_, xml) => {
    expect(thrown(() => events(xml))).toMatchObject({ code: 'invalid_xml', details: { part: 'part.xml' } });
  });

  it('bounds a tag that never ends by maxPendingChars', () => {
    expect(thrown(() => events(`<a b="${'x'.repeat(5_000)}`, 100))).toMatchObject({ code: 'xml_value_too_large' });
  });
});

/** Every kind of cell, each row written as spreadsheet programs write rows. */
function regularSheet(): string {
  const rows = [
    '<row r="1" spans="1:9" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>inline</t></is></c><c r="C1" t="str"><v>a &amp; b&#xD;&#10;c</v></c><c r="D1" s="1"><v>40617</v></c><c r="E1" t="b"><v>1</v></c><c r="F1" t="e"><v>#N/A</v></c><c r="G1"><f>SUM(A1:A3)</f><v>42.5</v></c><c r="H1" s="2"/><c r="I1" t="inlineStr"><is><t xml:space="preserve"> spaced _x000D_ </t></is></c></row>',
    '<row r="3"><c t="str"><v>no reference</v></c><c><v>7</v></c><c r="E3" t="d"><v>2020-05-06T00:00:00Z</v></c><c r="F3" t="s"><v>1</v></c><c r="G3"><f t="shared" si="0"/><v>1e3</v></c><c r="H3"><v/></c><c r="I3" t="str"><v></v></c></row>',
    '<row><c r="B4" t="s"><v>2</v></c></row>',
    '<row r="6"/>',
    '<row r="7" ht="15"><c r="AA7"><v>-0.5</v></c></row>',
  ];
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${NS}"><dimension ref="A1:AA7"/><sheetData>${rows.join('')}</sheetData><mergeCells count="0"/></worksheet>`;
}

const EXPECTED: SourceRecord[] = [
  { row: 1, cells: ['première', 'inline', 'a & b\r\nc', '2011-03-15', true, null, 42.5, null, ' spaced \r '] },
  { row: 3, cells: ['no reference', 7, null, null, '2020-05-06', 'deuxième', 1000, null, ''] },
  { row: 4, cells: [null, 'troisième'] },
  { row: 6, cells: [] },
  { row: 7, cells: [...Array.from({ length: 26 }, () => null), -0.5] },
];

/** The rows of a sheet's XML, handed to the parser `piece` bytes at a time. */
function rowsOf(xml: string, piece = 64 * 1024): SourceRecord[] {
  const strings = new SharedStrings();
  for (const text of ['première', 'deuxième', 'troisième']) strings.add(text);
  const context: SheetContext = {
    part: 'xl/worksheets/sheet1.xml',
    strings,
    formats: ['number', 'date', 'number'],
    date1904: false,
    maxColumns: 50,
    maxPendingChars: 10_000,
    maxCellChars: 1_000,
  };
  const parser = sheetParser(context);
  const bytes = Buffer.from(xml);
  const records: SourceRecord[] = [];
  try {
    for (let at = 0; at < bytes.length; at += piece) records.push(...parser.write(bytes.subarray(at, at + piece)));
    records.push(...parser.end());
  } finally {
    strings.close();
  }
  return records;
}

describe('a sheet read row by row, or tag by tag', () => {
  it('reads every kind of cell from rows written the usual way, each row in one go', () => {
    const read = jest.spyOn(RowScanner.prototype, 'read');
    try {
      expect(rowsOf(regularSheet())).toEqual(EXPECTED);
      expect(read.mock.results.map((result) => (result.value as number) > 0)).toEqual([true, true, true, true, true]);
    } finally {
      read.mockRestore();
    }
  });

  it('reads the same rows written any other way XML allows: white space, prefixes, quotes, comments, CDATA', () => {
    const regular = regularSheet();
    const indented = regular.replace(/><(?!\/v>)/g, '>\n    <').replace('<v>7</v>', '<v>7<!-- seven --></v>');
    expect(rowsOf(indented)).toEqual(EXPECTED);
    const prefixed = regular
      .replace(`xmlns="${NS}"`, `xmlns:x="${NS}"`)
      .replace(/<(\/?)(worksheet|dimension|sheetData|row|c|v|f|is|t|mergeCells)\b/g, '<$1x:$2');
    expect(rowsOf(prefixed)).toEqual(EXPECTED);
    const quoted = regular.replace(/="([^"]*)"/g, "='$1'").replace('<v>-0.5</v>', '<v><![CDATA[-0.5]]></v>');
    expect(rowsOf(quoted)).toEqual(EXPECTED);
  });

  it('reads the same rows whatever pieces the XML arrives in, rows cut anywhere', () => {
    for (const piece of [1, 7, 64, 333, 1000]) expect(rowsOf(regularSheet(), piece)).toEqual(EXPECTED);
  });

  it('reads a row cut by the end of a piece in one go once the next piece has come, not tag by tag', () => {
    const read = jest.spyOn(RowScanner.prototype, 'read');
    try {
      expect(rowsOf(regularSheet(), 333)).toEqual(EXPECTED);
      const rowsRead = read.mock.results.filter((result) => (result.value as number) > 0);
      expect(rowsRead).toHaveLength(EXPECTED.length);
    } finally {
      read.mockRestore();
    }
  });

  it('leaves what would fail the file to the tag-by-tag reading, which names it', () => {
    const sheet = (row: string) => `<worksheet xmlns="${NS}"><sheetData>${row}</sheetData></worksheet>`;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['<row r="1"><c r="A1" t="s"><v>9</v></c></row>', { code: 'unreadable_file' }, /cell A1 refers to shared string 9/],
      ['<row r="1"><c r="AZ1"><v>1</v></c></row>', { code: 'too_many_columns', details: { row: 1, column: 52 } }, /column AZ/],
      ['<row r="2"/><row r="2"/>', { code: 'unreadable_file' }, /row number "2" after row 2/],
      ['<row r="1"><c r="XFE1"><v>1</v></c></row>', { code: 'unreadable_file' }, /bad reference "XFE1"/],
      ['<row r="1"><c r="A1" t="str"><v>&bad;</v></c></row>', { code: 'invalid_xml' }, /not well-formed/],
      [
        `<row r="1"><c r="A1" t="str"><v>${'x'.repeat(20_000)}</v></c></row>`,
        { code: 'cell_too_large', details: { row: 1, column: 1 } },
        /Row 1, column A/,
      ],
    ];
    for (const [row, error, message] of cases) {
      const failure = thrown(() => rowsOf(sheet(row)));
      expect(failure).toMatchObject(error);
      expect(failure.message).toMatch(message);
    }
  });
});
