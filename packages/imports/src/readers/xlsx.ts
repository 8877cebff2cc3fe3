import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import { readCellFormats, readWorkbookInfo, type SheetRef } from './ooxml';
import { unpackRecords } from './packed-records';
import { ReaderThread } from './reader-thread';
import {
  batchesOf,
  headerCells,
  pickSheet,
  splitHeader,
  visibleFirst,
  type ReadLimits,
  type RecordRuns,
  type Source,
  type SourceRecord,
} from './source';
import type { FromXlsxThread, SheetSettings, ToXlsxThread } from './xlsx-thread';
import { ZipArchive } from './zip';

/**
 * Inflated pieces sent to the thread and not yet answered: enough that it always has one to parse while
 * this thread inflates and validates, few enough that memory stays flat (2 × 128 KB, and their records; 4
 * in flight cost ≈ 3 % more instructions, in the garbage collectors of both threads).
 */
const PIECES_IN_FLIGHT = 2;

/** A sheet opened for reading, positioned after its header row. */
interface OpenedSheet {
  ref: SheetRef & { part: string };
  /** The records after the header. */
  records: RecordRuns;
  header: SourceRecord;
  close: () => Promise<void>;
  progress: () => number;
}

/**
 * The thread (`xlsx-thread.ts`) that parses a workbook's shared strings and sheets while this one reads the
 * zip, inflates, validates and writes. A part's inflated pieces are sent only as fast as their records are
 * consumed, `PIECES_IN_FLIGHT` ahead.
 */
class WorkbookThread {
  private readonly thread = new ReaderThread<ToXlsxThread, FromXlsxThread>('xlsx-thread');

  /** Parses the shared-strings part; the thread keeps the table for the sheets. */
  async readStrings(pieces: AsyncIterable<Buffer>, message: Extract<ToXlsxThread, { kind: 'strings' }>): Promise<void> {
    for await (const records of this.parse(message, pieces)) void records; // none: a table, not rows
  }

  /** The records of a sheet, parsed as they are pulled. */
  sheet(pieces: AsyncIterable<Buffer>, settings: SheetSettings): RecordRuns {
    return this.parse({ kind: 'sheet', settings }, pieces);
  }

  close(): Promise<void> {
    return this.thread.close();
  }

  private async *parse(start: ToXlsxThread, pieces: AsyncIterable<Buffer>): RecordRuns {
    const { thread } = this;
    const input = pieces[Symbol.asyncIterator]();
    let inFlight = 0;
    let sentAll = false;
    const sendNext = async () => {
      const next = await input.next();
      if (next.done) {
        thread.send({ kind: 'end' });
        sentAll = true;
      } else {
        // A copy the thread can own: zlib's pieces may share its buffers.
        const bytes = new Uint8Array(next.value);
        thread.send({ kind: 'bytes', bytes }, [bytes.buffer]);
      }
      inFlight++;
    };
    try {
      thread.send(start);
      while (!sentAll && inFlight < PIECES_IN_FLIGHT) await sendNext();
      for (;;) {
        const message = await thread.receive();
        if (message.kind === 'failed') {
          if (message.code === null) throw new Error(`The XLSX reading thread failed: ${message.message}`);
          throw new BadFileError(message.code, message.message, message.details);
        }
        if (message.kind === 'done') return;
        inFlight--;
        if (!sentAll) await sendNext();
        const records = unpackRecords(message.records);
        if (records.length > 0) yield records;
      }
    } finally {
      await input.return?.();
    }
  }
}

/**
 * Whether a stored zip is an XLSX workbook, by its central directory (read by byte ranges, nothing
 * inflated): it has a `[Content_Types].xml` and parts under `xl/`. For an upload whose first bytes do not
 * tell (a writer that puts a large part first, or streams parts without their sizes). A zip that cannot be
 * read is not one.
 */
export async function isXlsxPackage(file: FileRef): Promise<boolean> {
  let archive: ZipArchive;
  try {
    archive = await ZipArchive.open(file, { maxInflatedBytes: 0 });
  } catch (error) {
    if (error instanceof BadFileError) return false;
    throw error;
  }
  try {
    return archive.has('[Content_Types].xml') && archive.names().some((name) => name.startsWith('xl/'));
  } finally {
    archive.close();
  }
}

/**
 * Opens an XLSX workbook without loading it: the zip is read entry by entry (sizes checked against what
 * they declare and against `maxInflatedBytes`), the small parts first (workbook, relationships, styles,
 * shared strings — the latter kept on disk), then the chosen sheet's XML is streamed row by row, only as
 * fast as batches are consumed. The sheet is the one named, else the first visible one with a value, else
 * the first hidden one with a value.
 */
export async function openXlsx(file: FileRef, limits: ReadLimits, sheetName?: string): Promise<Source> {
  const archive = await ZipArchive.open(file, { maxInflatedBytes: limits.maxInflatedBytes });
  const maxPending = limits.maxRecordChars;
  let thread: WorkbookThread | null = null;
  try {
    const book = await readWorkbookInfo(archive, maxPending);
    const named =
      sheetName === undefined
        ? null
        : pickSheet(
            book.sheets.map((sheet) => sheet.name),
            sheetName,
          );
    const formats = book.stylesPart ? await readCellFormats(archive, book.stylesPart, maxPending) : [];
    const { maxCellChars } = limits;
    const parsing = (thread = new WorkbookThread());
    if (book.sharedStringsPart) {
      const part = book.sharedStringsPart;
      await parsing.readStrings(archive.read(part), { kind: 'strings', part, maxPendingChars: maxPending, maxCellChars });
    }

    const open = (ref: SheetRef) =>
      openSheet(archive, parsing, ref, {
        formats: [...formats],
        date1904: book.date1904,
        maxColumns: limits.maxColumns,
        maxPendingChars: maxPending,
        maxCellChars,
      });
    let sheet: OpenedSheet | null = null;
    if (named !== null) {
      const ref = book.sheets.find((candidate) => candidate.name === named) as SheetRef;
      sheet = await open(ref);
      if (!sheet) throw new BadFileError('empty_file', `The sheet "${ref.name}" is empty.`, { sheet: ref.name });
    } else {
      for (const ref of visibleFirst(book.sheets)) {
        sheet = await open(ref);
        if (sheet) break;
      }
      if (!sheet) throw new BadFileError('empty_file', 'Every sheet of the workbook is empty.');
    }

    const opened = sheet;
    const headers = headerCells(opened.header.cells);
    return {
      dialect: { format: 'xlsx', encoding: null, delimiter: null, sheet: opened.ref.name },
      headers,
      batches: (size) => batchesOf(opened.records, size),
      progress: opened.progress,
      async close() {
        await opened.close();
        await parsing.close();
        archive.close();
      },
    };
  } catch (error) {
    await thread?.close();
    archive.close();
    throw error;
  }
}

/** Streams a sheet up to its first non-empty row (its header); null when it has none. */
async function openSheet(
  archive: ZipArchive,
  thread: WorkbookThread,
  ref: SheetRef,
  settings: Omit<SheetSettings, 'part'>,
): Promise<OpenedSheet | null> {
  const part = ref.part;
  if (part === null || !archive.has(part)) return null;
  const total = archive.compressedSize(part);
  let consumed = 0;
  const runs = thread.sheet(
    archive.read(part, (bytes) => (consumed += bytes)),
    { ...settings, part },
  );
  const split = await splitHeader(runs);
  if (!split) return null;
  const close = async () => {
    await split.rest.return();
    await runs.return();
  };
  return {
    ref: { ...ref, part },
    records: split.rest,
    close,
    header: split.header,
    progress: () => (total === 0 ? 1 : Math.min(1, consumed / total)),
  };
}
