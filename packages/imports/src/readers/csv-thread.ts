/**
 * The thread that parses a CSV file, started by `openCsv`: it decodes the bytes the parent reads from the
 * file store and sends (`bytes`, then `end`), reads the dialect (`dialect`, sent once, before any record),
 * and parses the records (`csv-parse.ts`), handed over packed. Each piece (and the end) is answered with
 * one `parsed` message when the parser takes it, holding the records parsed since the previous answer: the
 * parent's credit to send another piece, so that the thread reads ahead only as far as the parent lets it.
 * The first error is sent as `failed` (a `BadFileError`'s code, message and details, exactly as the
 * parser raised it), after which the thread waits to be ended. The parent validates and writes meanwhile.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { BadFileError } from '../errors';
import type { Delimiter } from './csv-dialect';
import { parseCsv, type CsvLimits } from './csv-parse';
import { packedBuffers, packRecords, type PackedRecords } from './packed-records';
import type { SourceRecord } from './source';

/** What the thread is started with. */
export interface CsvJob {
  encoding: string;
  limits: CsvLimits;
}

/** What the parent sends. */
export type ToCsvThread = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'end' };

/** What the thread sends. */
export type FromCsvThread =
  | { kind: 'dialect'; delimiter: Delimiter }
  | { kind: 'parsed'; records: PackedRecords }
  | { kind: 'done' }
  | { kind: 'failed'; code: string | null; message: string; details?: Record<string, unknown> };

/** The pieces the parent sent, pulled by the parser; `onPull` runs as each one (and the end) is taken. */
class Pieces implements AsyncIterable<Buffer> {
  private readonly queue: (Buffer | null)[] = [];
  private wake: (() => void) | null = null;

  constructor(
    port: MessagePort,
    private readonly onPull: () => void,
  ) {
    port.on('message', (message: ToCsvThread) => {
      this.queue.push(
        message.kind === 'end' ? null : Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
      );
      this.wake?.();
      this.wake = null;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      const piece = this.queue.shift() as Buffer | null;
      this.onPull();
      if (piece === null) return;
      yield piece;
    }
  }
}

async function serve(port: MessagePort, job: CsvJob): Promise<void> {
  const send = (message: FromCsvThread, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  let runs: SourceRecord[][] = [];
  const answer = () => {
    const packed = packRecords(runs.length === 1 ? (runs[0] as SourceRecord[]) : runs.flat());
    runs = [];
    send({ kind: 'parsed', records: packed }, packedBuffers(packed));
  };
  try {
    const csv = await parseCsv(new Pieces(port, answer), job.encoding, job.limits);
    send({ kind: 'dialect', delimiter: csv.delimiter });
    for await (const run of csv.records) runs.push(run);
    answer();
    send({ kind: 'done' });
  } catch (error) {
    if (error instanceof BadFileError) send({ kind: 'failed', code: error.code, message: error.message, details: error.details });
    else send({ kind: 'failed', code: null, message: error instanceof Error ? error.message : String(error) });
  }
}

if (!parentPort) throw new Error('csv-thread is started as a worker thread by openCsv');
void serve(parentPort, workerData as CsvJob);
