/**
 * A CSV file's bytes turned into records: decoded (iconv-lite), line endings normalised, its dialect read
 * (Excel's `sep=` line, else sniffed), then parsed by papaparse one decoded piece at a time. Runs in the
 * CSV reading thread (`csv-thread.ts`), which is handed the bytes by `openCsv`.
 */
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { BadFileError } from '../errors';
import { readSepLine, sniffDelimiter, type Delimiter } from './csv-dialect';
import { longRecordField } from './csv-long-record';
import { cellTooLarge, checkColumns, isEmptyRecord, type ReadLimits, type RecordRuns, type SourceRecord } from './source';

const SNIFF_CHARS = 64 * 1024;

/** The limits a CSV's parsing enforces. */
export type CsvLimits = Pick<ReadLimits, 'maxColumns' | 'maxCellChars' | 'maxRecordChars'>;

interface PapaParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): Papa.ParseResult<string[]>;
}
const Parser = (Papa as unknown as { Parser: new (config: Papa.ParseConfig) => PapaParser }).Parser;

/**
 * Decoded text of a file's pieces, line endings normalised to `\n` (CRLF, LF and lone CR, mixed too). The
 * pieces are pulled only as fast as the text is consumed, so memory stays bounded.
 */
async function* decodedText(pieces: AsyncIterable<Buffer>, encoding: string) {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  let pendingCr = false;
  const normalise = (text: string) => {
    let piece = pendingCr ? `\r${text}` : text;
    pendingCr = piece.endsWith('\r');
    if (pendingCr) piece = piece.slice(0, -1);
    return piece.replace(/\r\n?/g, '\n');
  };
  for await (const piece of pieces) {
    const text = normalise(decoder.write(piece));
    if (text) yield text;
  }
  const rest = normalise(decoder.end() ?? '') + (pendingCr ? '\n' : '');
  if (rest) yield rest;
}

/** Pulls a sample of at least `SNIFF_CHARS` characters, returning it with the rest of the stream. */
async function sample(texts: AsyncGenerator<string>): Promise<{ head: string; done: boolean }> {
  let head = '';
  while (head.length < SNIFF_CHARS) {
    const next = await texts.next();
    if (next.done) return { head, done: true };
    head += next.value;
  }
  return { head, done: false };
}

const unterminated = (where: string, details: Record<string, unknown>) =>
  new BadFileError('unterminated_quote', `${where}: a quoted field is never closed (a closing " is missing).`, details);

/** A CSV file being parsed: its delimiter, then every record of it, header included, a run per piece parsed. */
export interface ParsedCsv {
  delimiter: Delimiter;
  records: RecordRuns;
}

/**
 * Reads a CSV file's dialect from its first decoded characters, then streams its records through
 * papaparse's parser. Records are numbered as a spreadsheet shows them: a quoted newline does not start a
 * row, an empty line does. Bad files throw `BadFileError` (unterminated quote, too many columns, a cell or
 * a record too long to be held), from `records` as they are reached.
 */
export async function parseCsv(pieces: AsyncIterable<Buffer>, encoding: string, limits: CsvLimits): Promise<ParsedCsv> {
  const texts = decodedText(pieces, encoding);
  const { head: sampled, done } = await sample(texts);

  const sep = readSepLine(sampled);
  const delimiter = sep ? sep.delimiter : sniffDelimiter(sampled);
  const head = sep ? sampled.slice(sep.length) : sampled;
  const parser = new Parser({ delimiter, newline: '\n', quoteChar: '"' });

  let row = 0;
  /** The header row's cells, once read: errors name a column by its header. */
  let header: string[] | null = null;

  /**
   * Why the record at `row`, whose text so far is `text`, is longer than the reader may hold: a cell too
   * long to be read, a quote never closed (read on to the end of the file to tell), or too much text.
   */
  async function tooLong(text: string, at: number): Promise<BadFileError> {
    const field = await longRecordField(text, texts, delimiter);
    const name = header?.[field.column]?.trim();
    const where = `Row ${at}, column ${field.column + 1}${name ? ` (${name})` : ''}`;
    const details = { row: at, column: field.column + 1 };
    if (field.unterminated) return unterminated(where, details);
    if (field.length > limits.maxCellChars) return cellTooLarge(where, limits, details);
    return new BadFileError('record_too_large', `Row ${at} is longer than ${limits.maxRecordChars} characters.`, { row: at });
  }

  async function* records(): RecordRuns {
    let pending = head;
    let finished = done;
    for (;;) {
      if (!finished) {
        const next = await texts.next();
        if (next.done) finished = true;
        else pending += next.value;
      }
      // The line break that ends the last line does not start one more (empty) row.
      if (finished && pending.endsWith('\n')) pending = pending.slice(0, -1);
      const result = parser.parse(pending, 0, !finished);
      const missingQuote = result.errors.find((error) => error.code === 'MissingQuotes');
      if (missingQuote) {
        const at = row + (missingQuote.row ?? 0) + 1;
        throw unterminated(`Row ${at}`, { row: at });
      }
      const run = new Array<SourceRecord>(result.data.length);
      for (let i = 0; i < run.length; i++) {
        const cells = result.data[i] as string[];
        const record = { row: ++row, cells };
        checkColumns(record, limits.maxColumns);
        if (header === null && !isEmptyRecord(cells)) header = cells;
        run[i] = record;
      }
      if (run.length > 0) yield run;
      pending = pending.slice(result.meta.cursor);
      if (finished) return;
      if (pending.length > limits.maxRecordChars) throw await tooLong(pending, row + 1);
    }
  }

  return { delimiter, records: records() };
}
