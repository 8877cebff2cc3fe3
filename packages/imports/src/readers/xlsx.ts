import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import { readCellFormats, readSharedStrings, readWorkbookInfo, type SheetRef } from './ooxml';
import type { SharedStrings } from './shared-strings';
import { sheetRecords, type SheetContext } from './sheet-rows';
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
import { ZipArchive } from './zip';

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
  let strings: SharedStrings | null = null;
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
    strings = book.sharedStringsPart
      ? await readSharedStrings(archive, book.sharedStringsPart, { maxPendingChars: maxPending, maxCellChars })
      : null;

    const open = (ref: SheetRef) =>
      openSheet(archive, ref, {
        strings,
        formats,
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
    const held = strings;
    return {
      dialect: { format: 'xlsx', encoding: null, delimiter: null, sheet: opened.ref.name },
      headers,
      batches: (size) => batchesOf(opened.records, size),
      progress: opened.progress,
      async close() {
        await opened.close();
        held?.close();
        archive.close();
      },
    };
  } catch (error) {
    strings?.close();
    archive.close();
    throw error;
  }
}

/** Streams a sheet up to its first non-empty row (its header); null when it has none. */
async function openSheet(archive: ZipArchive, ref: SheetRef, context: Omit<SheetContext, 'part'>): Promise<OpenedSheet | null> {
  const part = ref.part;
  if (part === null || !archive.has(part)) return null;
  const total = archive.compressedSize(part);
  let consumed = 0;
  const runs = sheetRecords(
    archive.read(part, (bytes) => (consumed += bytes)),
    { ...context, part },
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
