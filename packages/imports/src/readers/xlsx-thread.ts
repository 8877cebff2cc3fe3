/**
 * The thread that parses an XLSX workbook's big parts, started by `openXlsx`: its shared strings (kept on
 * disk, `SharedStrings`), then the sheets it is asked for, one after the other. The parent reads the zip
 * and inflates; it sends each part as `strings` or `sheet`, then its inflated bytes in pieces, then `end`.
 * Each piece is answered with the records it completed (`parsed`, the parent's credit to send another),
 * the end of a part with `done`; the first error with `failed`, after which the thread waits to be ended
 * (its files, the shared strings' table, are closed with it).
 * The parent validates and writes while this thread parses.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { BadFileError } from '../errors';
import { sharedStringsParser, type SharedStrings } from './shared-strings';
import { sheetParser, type SheetContext } from './sheet-rows';
import { packedBuffers, packRecords, type PackedRecords } from './packed-records';
import type { SourceRecord } from './source';

/** A sheet's settings: its context but for the shared strings, which the thread holds. */
export type SheetSettings = Omit<SheetContext, 'strings'>;

/** What the parent sends. */
export type ToXlsxThread =
  | { kind: 'strings'; part: string; maxPendingChars: number; maxCellChars: number }
  | { kind: 'sheet'; settings: SheetSettings }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'end' };

/** What the thread sends. */
export type FromXlsxThread =
  | { kind: 'parsed'; records: PackedRecords }
  | { kind: 'done' }
  | { kind: 'failed'; code: string | null; message: string; details?: Record<string, unknown> };

/** The part being parsed: the records each piece completes. */
interface PartParser {
  write(bytes: Buffer): SourceRecord[];
  end(): SourceRecord[];
}

const NO_RECORDS: SourceRecord[] = [];

function serve(port: MessagePort): void {
  let strings: SharedStrings | null = null;
  let current: PartParser | null = null;
  const send = (message: FromXlsxThread) => port.postMessage(message);
  const sendRecords = (records: SourceRecord[]) => {
    const packed = packRecords(records);
    port.postMessage({ kind: 'parsed', records: packed } satisfies FromXlsxThread, packedBuffers(packed));
  };

  const start = (message: Extract<ToXlsxThread, { kind: 'strings' | 'sheet' }>): PartParser => {
    if (message.kind === 'sheet') return sheetParser({ ...message.settings, strings });
    strings?.close();
    strings = null;
    const parser = sharedStringsParser(message.part, message);
    return {
      write(bytes) {
        parser.write(bytes);
        return NO_RECORDS;
      },
      end() {
        strings = parser.end();
        return NO_RECORDS;
      },
    };
  };

  port.on('message', (message: ToXlsxThread) => {
    try {
      if (message.kind === 'strings' || message.kind === 'sheet') current = start(message);
      else if (current === null)
        return; // the rest of a part that failed
      else if (message.kind === 'bytes') {
        sendRecords(current.write(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength)));
      } else {
        const records = current.end();
        current = null;
        sendRecords(records);
        send({ kind: 'done' });
      }
    } catch (error) {
      current = null;
      if (error instanceof BadFileError) send({ kind: 'failed', code: error.code, message: error.message, details: error.details });
      else send({ kind: 'failed', code: null, message: error instanceof Error ? error.message : String(error) });
    }
  });
}

if (!parentPort) throw new Error('xlsx-thread is started as a worker thread by openXlsx');
serve(parentPort);
