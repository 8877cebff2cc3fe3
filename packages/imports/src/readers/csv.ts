import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import type { Delimiter } from './csv-dialect';
import type { CsvJob, FromCsvThread, ToCsvThread } from './csv-thread';
import { detectEncoding } from './encoding';
import { unpackRecords } from './packed-records';
import { ReaderThread } from './reader-thread';
import { batchesOf, headerCells, splitHeader, type ReadLimits, type RecordRuns, type Source } from './source';

// Small pieces keep each parse short-lived: its rows die young instead of being promoted to the old heap.
const READ_CHUNK = 64 * 1024;

/**
 * Pieces sent to the thread and not yet taken by its parser: enough that it always has one to parse while
 * this thread validates and writes, few enough that memory stays flat (8 × 64 KB, and their records).
 */
const PIECES_IN_FLIGHT = 8;

/**
 * The thread's heap: what its parser holds at most (a record of `maxRecordChars` characters, two bytes
 * each, a few copies while papaparse reads it) and room for the pieces in flight. A file cannot make it
 * grow past that; reaching it is a bug, reported as the thread's failure.
 */
const heapMb = (limits: ReadLimits) => 32 + Math.ceil((limits.maxRecordChars * 8) / (1024 * 1024));

/**
 * The thread's young generation: a piece's text and records die within it. V8's default lets it grow to
 * tens of MB of RSS that a thread parsing 64 KB at a time never needs (measured: peak RSS of a 300,000-row
 * read 197 MB with the default, 156 MB with 8 MB, the main thread's own reading 144–156 MB).
 */
const YOUNG_HEAP_MB = 8;

/** A stored file's bytes from `start`, in pieces of at most `READ_CHUNK` (an S3 body's socket reads can be larger). */
async function* piecesOf(file: FileRef, start: number): AsyncGenerator<Buffer> {
  const stream = await file.store.read(file.key, { start });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length; at += READ_CHUNK) {
        yield at === 0 && chunk.length <= READ_CHUNK ? chunk : chunk.subarray(at, at + READ_CHUNK);
      }
    }
  } finally {
    stream.destroy();
  }
}

/**
 * The thread (`csv-thread.ts`) that decodes and parses a CSV while this one validates and writes: the file
 * is read here and its pieces sent only as fast as their records are consumed, `PIECES_IN_FLIGHT` ahead.
 */
class CsvThread {
  private readonly thread: ReaderThread<ToCsvThread, FromCsvThread>;
  /** Known once the thread has read the first characters, before any record. */
  delimiter: Delimiter | null = null;

  constructor(job: CsvJob, limits: ReadLimits) {
    this.thread = new ReaderThread('csv-thread', {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: heapMb(limits), maxYoungGenerationSizeMb: YOUNG_HEAP_MB },
    });
  }

  /** Every record of the file, header included, parsed as they are pulled. */
  async *records(pieces: AsyncIterable<Buffer>, onTaken: (bytes: number) => void): RecordRuns {
    const { thread } = this;
    const input = pieces[Symbol.asyncIterator]();
    /** Sizes of the pieces sent and not yet taken by the parser (the end counts as 0). */
    const inFlight: number[] = [];
    let sentAll = false;
    const sendNext = async () => {
      const next = await input.next();
      if (next.done) {
        thread.send({ kind: 'end' });
        sentAll = true;
        inFlight.push(0);
      } else {
        // A copy the thread can own: the stream's pieces may share its buffers.
        const bytes = new Uint8Array(next.value);
        inFlight.push(bytes.byteLength); // before the transfer empties it
        thread.send({ kind: 'bytes', bytes }, [bytes.buffer]);
      }
    };
    try {
      while (!sentAll && inFlight.length < PIECES_IN_FLIGHT) await sendNext();
      for (;;) {
        const message = await thread.receive();
        if (message.kind === 'failed') {
          if (message.code === null) throw new Error(`The CSV reading thread failed: ${message.message}`);
          throw new BadFileError(message.code, message.message, message.details);
        }
        if (message.kind === 'done') return;
        if (message.kind === 'dialect') {
          this.delimiter = message.delimiter;
          continue;
        }
        onTaken(inFlight.shift() ?? 0);
        if (!sentAll) await sendNext();
        const records = unpackRecords(message.records);
        if (records.length > 0) yield records;
      }
    } finally {
      await input.return?.();
    }
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}

/**
 * Opens a CSV file: detects its encoding here (byte-order mark, UTF-8 validity, else Windows-1252), then
 * reads it in its thread (`csv-parse.ts`: delimiter from Excel's `sep=` line, else sniffed; records
 * through papaparse), up to its header row. Records are numbered as a spreadsheet shows them: a quoted
 * newline does not start a row, an empty line does.
 */
export async function openCsv(file: FileRef, limits: ReadLimits): Promise<Source> {
  const { size } = await file.store.stat(file.key);
  const { encoding, bomLength } = await detectEncoding(file, size);
  /** Bytes the parser has taken. */
  let bytesRead = bomLength;
  const { maxColumns, maxCellChars, maxRecordChars } = limits;
  const thread = new CsvThread({ encoding, limits: { maxColumns, maxCellChars, maxRecordChars } }, limits);
  const all = thread.records(piecesOf(file, bomLength), (n) => (bytesRead += n));
  const stop = async () => {
    await all.return();
    await thread.close();
  };
  try {
    const split = await splitHeader(all);
    if (!split) throw new BadFileError('empty_file', 'The file has no header row.');
    const { header, rest } = split;
    return {
      dialect: { format: 'csv', encoding, delimiter: thread.delimiter, sheet: null },
      headers: headerCells(header.cells),
      batches: (batchSize) => batchesOf(rest, batchSize),
      progress: () => (size === 0 ? 1 : Math.min(1, bytesRead / size)),
      async close() {
        await rest.return();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
