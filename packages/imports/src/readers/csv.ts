import iconv from 'iconv-lite';
import Papa from 'papaparse';
import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import { readSepLine, sniffDelimiter } from './csv-dialect';
import { longRecordField } from './csv-long-record';
import { detectEncoding } from './encoding';
import {
  batchesOf,
  cellTooLarge,
  checkColumns,
  headerCells,
  isEmptyRecord,
  splitHeader,
  type ReadLimits,
  type RecordRuns,
  type Source,
  type SourceRecord,
} from './source';

// Small pieces keep each parse short-lived: its rows die young instead of being promoted to the old heap.
const READ_CHUNK = 64 * 1024;
const SNIFF_CHARS = 64 * 1024;

interface PapaParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): Papa.ParseResult<string[]>;
}
const Parser = (Papa as unknown as { Parser: new (config: Papa.ParseConfig) => PapaParser }).Parser;

/**
 * Decoded text of a file, piece by piece, line endings normalised to `\n` (CRLF, LF and lone CR, mixed
 * too). The file is read only as fast as the pieces are consumed, so memory stays bounded.
 */
async function* decodedText(file: FileRef, encoding: string, skip: number, onBytes: (n: number) => void) {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  let pendingCr = false;
  const normalise = (text: string) => {
    let piece = pendingCr ? `\r${text}` : text;
    pendingCr = piece.endsWith('\r');
    if (pendingCr) piece = piece.slice(0, -1);
    return piece.replace(/\r\n?/g, '\n');
  };
  const stream = await file.store.read(file.key, { start: skip });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // Pieces of at most READ_CHUNK: the store may hand over larger ones (an S3 body's socket reads).
      for (let at = 0; at < chunk.length; at += READ_CHUNK) {
        const piece = at === 0 && chunk.length <= READ_CHUNK ? chunk : chunk.subarray(at, at + READ_CHUNK);
        onBytes(piece.length);
        const text = normalise(decoder.write(piece));
        if (text) yield text;
      }
    }
  } finally {
    stream.destroy();
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

/**
 * Opens a CSV file: detects its encoding (byte-order mark, UTF-8 validity, else Windows-1252) and
 * delimiter (Excel's `sep=` line, else sniffed), reads its header row, and streams its records through
 * papaparse's parser, one decoded piece at a time. Records are numbered as a spreadsheet shows them: a
 * quoted newline does not start a row, an empty line does.
 */
export async function openCsv(file: FileRef, limits: ReadLimits): Promise<Source> {
  const { size } = await file.store.stat(file.key);
  const { encoding, bomLength } = await detectEncoding(file, size);
  let bytesRead = bomLength;
  const texts = decodedText(file, encoding, bomLength, (n) => (bytesRead += n));
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

  /** Every record of the file, header included, a run per piece parsed. */
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

  const all = records();
  const stopReading = async () => {
    await all.return();
    await texts.return(undefined);
  };
  try {
    const split = await splitHeader(all);
    if (!split) throw new BadFileError('empty_file', 'The file has no header row.');
    const { header, rest } = split;
    return {
      dialect: { format: 'csv', encoding, delimiter, sheet: null },
      headers: headerCells(header.cells),
      batches: (batchSize) => batchesOf(rest, batchSize),
      progress: () => (size === 0 ? 1 : Math.min(1, bytesRead / size)),
      async close() {
        await rest.return();
        await stopReading();
      },
    };
  } catch (error) {
    await stopReading();
    throw error;
  }
}
