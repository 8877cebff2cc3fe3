import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';
import { batchesOf, checkColumns, headerCells, splitHeader, type ReadLimits, type RecordRuns, type Source } from './source';
import type { FromXlsThread, XlsJob } from './xls-thread';

/**
 * The thread's script. The compiled worker has it beside itself (`dist/xls-thread.js`, the second entry
 * of apps/worker/scripts/build.mjs); run from the TypeScript sources (jest, tsx) it is this folder's
 * `xls-thread.ts`, loaded through tsx's require hook.
 */
function threadScript(): { file: string; execArgv?: string[] } {
  if (!__filename.endsWith('.ts')) return { file: path.join(__dirname, 'xls-thread.js') };
  return { file: path.join(__dirname, 'xls-thread.ts'), execArgv: ['--require', require.resolve('tsx/cjs')] };
}

/** A thread running `xls-thread`, its messages received in order. */
class XlsThread {
  private readonly thread: Worker;
  private readonly inbox: FromXlsThread[] = [];
  private stopped: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(job: XlsJob, memoryMb: number) {
    const script = threadScript();
    this.thread = new Worker(script.file, {
      workerData: job,
      transferList: job.bytes ? [job.bytes.buffer as ArrayBuffer] : [],
      execArgv: script.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    this.thread.on('message', (message: FromXlsThread) => this.deliver(() => this.inbox.push(message)));
    this.thread.on('error', (error: Error & { code?: string }) =>
      this.deliver(() => {
        this.stopped ??=
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new BadFileError(
                'file_too_complex',
                `Reading this workbook needs more than ${memoryMb} MB of memory (XLS_MEMORY_MB). Save it as XLSX or CSV, which are read as a stream.`,
                { xlsMemoryMb: memoryMb },
              )
            : error;
      }),
    );
    this.thread.on('exit', () =>
      this.deliver(() => (this.stopped ??= new Error('The XLS reading thread stopped before the end of the sheet.'))),
    );
  }

  private deliver(update: () => void): void {
    update();
    this.wake?.();
    this.wake = null;
  }

  /** The next message; rejects once the thread has stopped (a `file_too_complex` when it ran out of memory). */
  async receive(): Promise<FromXlsThread> {
    for (;;) {
      const message = this.inbox.shift();
      if (message) return message;
      if (this.stopped) throw this.stopped;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  requestRun(): void {
    this.thread.postMessage(null);
  }

  async close(): Promise<void> {
    await this.thread.terminate();
  }
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
  const thread = new XlsThread({ bytes, sheet: sheetName, maxCells: limits.maxXlsCells }, limits.xlsMemoryMb);
  try {
    const opened = await thread.receive();
    if (opened.kind === 'failed') {
      throw new BadFileError(opened.code, opened.message, opened.details, opened.cause ? { cause: new Error(opened.cause) } : undefined);
    }
    if (opened.kind !== 'opened') throw new Error(`The XLS reading thread sent "${opened.kind}" before opening the sheet.`);
    let position = 0;
    async function* runs(): RecordRuns {
      thread.requestRun();
      for (;;) {
        const message = await thread.receive();
        if (message.kind === 'end') return;
        if (message.kind !== 'run') throw new Error(`The XLS reading thread sent "${message.kind}" instead of records.`);
        thread.requestRun();
        for (const record of message.records) checkColumns(record, limits.maxColumns);
        position = message.records.at(-1)?.row ?? position;
        yield message.records;
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
