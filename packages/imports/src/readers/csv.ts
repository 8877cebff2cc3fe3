import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { BadFileError } from '../errors';
import { detectEncoding } from './encoding';
import { headerCells, isEmptyRecord, type ReadLimits, type Source, type SourceRecord } from './source';

const DELIMITERS = [',', ';', '\t', '|'];
const READ_CHUNK = 1 << 20;
const SNIFF_CHARS = 64 * 1024;

interface PapaParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): Papa.ParseResult<string[]>;
}
const Parser = (Papa as unknown as { Parser: new (config: Papa.ParseConfig) => PapaParser }).Parser;

/**
 * Decoded text of a file, piece by piece, line endings normalised to `\n` (CRLF, LF and lone CR, mixed
 * too). The file is read only as fast as the pieces are consumed, so memory stays bounded.
 */
async function* decodedText(path: string, encoding: string, skip: number, onBytes: (n: number) => void) {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  let pendingCr = false;
  const normalise = (text: string) => {
    let piece = pendingCr ? `\r${text}` : text;
    pendingCr = piece.endsWith('\r');
    if (pendingCr) piece = piece.slice(0, -1);
    return piece.replace(/\r\n?/g, '\n');
  };
  for await (const chunk of createReadStream(path, { start: skip, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    onBytes(chunk.length);
    const text = normalise(decoder.write(chunk));
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

/** Excel's `sep=;` first line names the delimiter. */
const SEP_LINE = /^sep=(.)\n/i;

function guessDelimiter(head: string): string {
  const result = Papa.parse<string[]>(head, { preview: 50, delimitersToGuess: DELIMITERS });
  const guessed = result.meta.delimiter;
  return DELIMITERS.includes(guessed) ? guessed : ',';
}

/**
 * Opens a CSV file: detects its encoding and delimiter, reads its header row, and streams its records
 * through papaparse's parser, one decoded piece at a time.
 */
export async function openCsv(path: string, limits: ReadLimits): Promise<Source> {
  const { size } = await stat(path);
  const { encoding, bomLength } = await detectEncoding(path);
  let bytesRead = bomLength;
  const texts = decodedText(path, encoding, bomLength, (n) => (bytesRead += n));
  let { head, done } = await sample(texts);

  const sep = SEP_LINE.exec(head);
  const delimiter = sep ? (sep[1] as string) : guessDelimiter(head);
  if (sep) head = head.slice(sep[0].length);
  const parser = new Parser({ delimiter, newline: '\n', quoteChar: '"' });

  let row = 0;
  /** Every record of the file, header included, numbered as a spreadsheet program shows them. */
  async function* records(): AsyncGenerator<SourceRecord> {
    let pending = head;
    let finished = done;
    for (;;) {
      if (!finished) {
        const next = await texts.next();
        if (next.done) finished = true;
        else pending += next.value;
      }
      const result = parser.parse(pending, 0, !finished);
      for (const cells of result.data) yield { row: ++row, cells };
      const missingQuote = result.errors.find((error) => error.code === 'MissingQuotes');
      if (missingQuote) {
        throw new BadFileError('unterminated_quote', `Row ${row + 1}: a quoted field is never closed (missing ").`, { row: row + 1 });
      }
      pending = pending.slice(result.meta.cursor);
      if (finished) return;
      if (pending.length > limits.maxRecordChars) {
        throw new BadFileError(
          'unterminated_quote',
          `Row ${row + 1}: a quoted field runs past ${limits.maxRecordChars} characters; a closing " is probably missing.`,
          { row: row + 1 },
        );
      }
    }
  }

  const all = records();
  let first = await all.next();
  while (!first.done && isEmptyRecord(first.value.cells)) first = await all.next();
  if (first.done) throw new BadFileError('empty_file', 'The file has no header row.');
  const headers = headerCells(first.value.cells);
  if (headers.length > limits.maxColumns) {
    throw new BadFileError('too_many_columns', `The file has ${headers.length} columns; at most ${limits.maxColumns} are allowed.`);
  }

  return {
    dialect: { format: 'csv', encoding, delimiter, sheet: null },
    headers,
    async *batches(batchSize, after) {
      let batch: SourceRecord[] = [];
      for await (const record of all) {
        if (record.row <= after) continue;
        batch.push(record);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    progress: () => (size === 0 ? 1 : Math.min(1, bytesRead / size)),
    async close() {
      await all.return(undefined);
      await texts.return(undefined);
    },
  };
}
