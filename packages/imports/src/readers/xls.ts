import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import { unpackRecords } from './packed-records';
import { ReaderThread } from './reader-thread';
import { batchesOf, checkColumns, headerCells, splitHeader, type ReadLimits, type RecordRuns, type Source } from './source';
import type { FromXlsThread, XlsJob } from './xls-thread';

/** The thread that reads an XLS under XLS_MEMORY_MB of heap: running out of it is a `file_too_complex`. */
function xlsThread(job: XlsJob, memoryMb: number): ReaderThread<null, FromXlsThread> {
  return new ReaderThread('xls-thread', {
    workerData: job,
    transferList: job.bytes ? [job.bytes.buffer as ArrayBuffer] : [],
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    failure: (error) =>
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new BadFileError(
            'file_too_complex',
            `Reading this workbook needs more than ${memoryMb} MB of memory (XLS_MEMORY_MB). Save it as XLSX or CSV, which are read as a stream.`,
            { xlsMemoryMb: memoryMb },
          )
        : error,
  });
}

/**
 * A stored file's bytes in a buffer of their own (sized by `stat`, filled as the file streams in), which
 * can be transferred to the thread without a copy. SheetJS reads an XLS from bytes in any case.
 */
async function wholeFile(file: FileRef): Promise<Uint8Array> {
  const { size } = await file.store.stat(file.key);
  const bytes = new Uint8Array(size);
  let filled = 0;
  for await (const piece of (await file.store.read(file.key)) as AsyncIterable<Buffer>) {
    if (filled + piece.length > size) throw new Error(`The stored file "${file.key}" grew while it was read.`);
    bytes.set(piece, filled);
    filled += piece.length;
  }
  if (filled !== size) throw new Error(`The stored file "${file.key}" shrank while it was read.`);
  return bytes;
}

/**
 * Opens a legacy XLS (BIFF) workbook: SheetJS reads it in a thread of its own whose heap is capped at
 * XLS_MEMORY_MB, after the thread has counted its cells against MAX_XLS_CELLS (see `xls-thread.ts`). The
 * sheet is the one named, else the first with a value; formula cells give their cached values. Records
 * come over in runs of 1,000, one run ahead of the batches consumed, so that only the thread holds the
 * workbook (and less of it as it goes); the thread ends with the file.
 */
export async function openXls(file: FileRef, limits: ReadLimits, sheetName?: string): Promise<Source> {
  // Read whole here (a missing file fails as such, before any thread starts), then handed to the thread.
  const bytes = await wholeFile(file);
  const thread = xlsThread({ bytes, sheet: sheetName, maxCells: limits.maxXlsCells }, limits.xlsMemoryMb);
  try {
    const opened = await thread.receive();
    if (opened.kind === 'failed') {
      throw new BadFileError(opened.code, opened.message, opened.details, opened.cause ? { cause: new Error(opened.cause) } : undefined);
    }
    if (opened.kind !== 'opened') throw new Error(`The XLS reading thread sent "${opened.kind}" before opening the sheet.`);
    let position = 0;
    async function* runs(): RecordRuns {
      thread.send(null);
      for (;;) {
        const message = await thread.receive();
        if (message.kind === 'end') return;
        if (message.kind !== 'run') throw new Error(`The XLS reading thread sent "${message.kind}" instead of records.`);
        thread.send(null);
        const records = unpackRecords(message.records);
        for (const record of records) checkColumns(record, limits.maxColumns);
        position = records.at(-1)?.row ?? position;
        yield records;
      }
    }
    const split = await splitHeader(runs());
    if (!split) throw new BadFileError('empty_file', `The sheet "${opened.sheet}" is empty.`, { sheet: opened.sheet });
    const { header, rest } = split;
    return {
      dialect: { format: 'xls', encoding: null, delimiter: null, sheet: opened.sheet },
      headers: headerCells(header.cells),
      batches: (size) => batchesOf(rest, size),
      progress: () => (opened.rows === 0 ? 1 : Math.min(1, position / opened.rows)),
      close: () => thread.close(),
    };
  } catch (error) {
    await thread.close();
    throw error;
  }
}
