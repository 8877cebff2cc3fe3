/**
 * What a CSV record too long to be held is made of, for an exact error: the reader holds at most
 * `maxRecordChars` characters of one record, and past that it must say whether a cell is too long, a quote
 * is never closed, or the record has too many characters in all. Quotes are read as papaparse reads them:
 * a field is quoted when it starts with `"`; inside, `""` is a quote, and a `"` closes the field when a
 * delimiter, a line break or the end of the file follows (any other `"` is kept as text).
 */

/** The field a record's text ends in. */
export interface LongRecordField {
  /** Zero-based column. */
  column: number;
  /** Characters of the field read so far. */
  length: number;
  /** A quoted field that no closing quote ends, up to the end of the file. */
  unterminated: boolean;
}

/**
 * The field `text` (a record that no line break has ended yet, line breaks as `\n`) ends in. When that
 * field is quoted and still open, reads on through `rest`, a piece at a time and holding none, until its
 * closing quote or the end of the file.
 */
export async function longRecordField(text: string, rest: AsyncIterator<string>, delimiter: string): Promise<LongRecordField> {
  let column = 0;
  let start = 0;
  for (;;) {
    let end: number;
    if (text.startsWith('"', start)) {
      const field = new QuotedField(delimiter);
      end = field.read(text, start + 1);
      if (end === -1) return { column, length: text.length - start, unterminated: !(await field.closesIn(rest)) };
    } else {
      end = text.indexOf(delimiter, start);
      if (end === -1) return { column, length: text.length - start, unterminated: false };
    }
    column++;
    start = end + delimiter.length;
  }
}

/** The inside of a quoted field, read piece by piece up to its closing quote. */
class QuotedField {
  /** The last piece ended in a `"` that the next character decides (a pair, a closing quote or text). */
  private quoteAtEnd = false;

  constructor(private readonly delimiter: string) {}

  /** Reads `text` from `from`: the offset just after the closing quote, or -1 when the field goes on. */
  read(text: string, from = 0): number {
    if (from === text.length) return -1;
    let at = from;
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (this.ends(text, at)) return at;
      if (text.startsWith('"', at)) at++;
    }
    for (at = text.indexOf('"', at); at !== -1; at = text.indexOf('"', at)) {
      if (at + 1 === text.length) {
        this.quoteAtEnd = true;
        return -1;
      }
      if (this.ends(text, at + 1)) return at + 1;
      at += text.startsWith('"', at + 1) ? 2 : 1;
    }
    return -1;
  }

  /** Reads the pieces of `rest`: true when the field closes before the end of the file. */
  async closesIn(rest: AsyncIterator<string>): Promise<boolean> {
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      if (this.read(next.value) !== -1) return true;
    }
    return this.quoteAtEnd;
  }

  /** A closing quote is followed by a delimiter or a line break. */
  private ends(text: string, at: number): boolean {
    return text.startsWith(this.delimiter, at) || text.startsWith('\n', at);
  }
}
