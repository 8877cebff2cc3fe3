import { PassThrough, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { FileRef } from '@importer/storage';
import { BadFileError } from '../errors';

/**
 * Inflated bytes per piece handed on. Each piece costs the same whatever its size — a zlib callback, a
 * message to the XLSX thread and its answer, the typed arrays carrying its records, a few async steps — so
 * fewer, larger pieces cost less: reading the benchmark's 20,000-row sheet in a process of its own took
 * 4.60 billion instructions (callgrind, all threads, its start included) at 16 KB, 4.20 at 64 KB, 3.95 at
 * 128 KB. Under the worker's glibc mmap threshold, 256 KB (MALLOC_MMAP_THRESHOLD_,
 * apps/worker/scripts/command.cjs): zlib's output buffer and the copy handed to the thread stay on the heap
 * instead of being a mapping and an unmapping each (256 KB pieces: 4.06).
 */
const INFLATE_CHUNK = 128 * 1024;
/** Pieces inflated ahead of the reader (256 KB). */
const READ_AHEAD = 2;
/** Central directory entries read at most: an XLSX has a few dozen. */
const MAX_ENTRIES = 10_000;

export interface ZipLimits {
  /** Inflated bytes all the entries read may add up to. */
  maxInflatedBytes: number;
}

/** A size as people read it: `1000 bytes`, `12 KB`, `1.5 MB`. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** `reason` in the product's words; `cause`, the library's error, is for the log only. */
const damaged = (reason: string, cause?: unknown) =>
  new BadFileError(
    'unreadable_file',
    `The workbook is damaged or truncated and cannot be read (${reason}).`,
    { reason },
    cause === undefined ? undefined : { cause },
  );

/**
 * The bytes of a stored file as yauzl reads them: each range it asks for (the central directory, an entry's
 * header, an entry's data) is one read of the file store, streamed. The store's own failures (a network
 * error, the file gone) are remembered, so that they are passed on as what they are, not as a damaged
 * workbook: the import is retried, or fails as `file_missing`.
 */
class StoredFileReader extends yauzl.RandomAccessReader {
  private readonly failures = new WeakSet<object>();

  constructor(private readonly file: FileRef) {
    super();
  }

  failed(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.failures.has(error);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const output = new PassThrough();
    const fail = (error: Error) => {
      this.failures.add(error);
      output.destroy(error);
    };
    if (end <= start) {
      output.end();
      return output;
    }
    // yauzl's `end` is exclusive, a store's range inclusive.
    this.file.store.read(this.file.key, { start, end: end - 1 }).then((input) => {
      if (output.destroyed) {
        input.destroy();
        return;
      }
      input.once('error', fail);
      output.once('close', () => input.destroy());
      input.pipe(output);
    }, fail);
    return output;
  }
}

/**
 * A zip archive read lazily and defensively: entries are listed from the central directory, and each one is
 * inflated only as fast as its bytes are consumed. Every entry's declared size is checked before reading and
 * its actual inflated size as it is read (headers can lie), against the declared size and a budget shared
 * by every entry; its CRC is checked at the end. Any breach fails with a `BadFileError`.
 */
export class ZipArchive {
  private inflated = 0;
  private readonly streams = new Set<Readable>();

  private constructor(
    private readonly zip: ZipFile,
    private readonly reader: StoredFileReader,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly limits: ZipLimits,
  ) {}

  static async open(file: FileRef, limits: ZipLimits): Promise<ZipArchive> {
    // A stored file gone missing is not the workbook's fault: passed on as it is (`file_missing`).
    const { size } = await file.store.stat(file.key);
    const reader = new StoredFileReader(file);
    const zip = await new Promise<ZipFile>((resolve, reject) => {
      yauzl.fromRandomAccessReader(reader, size, { lazyEntries: true, autoClose: false, strictFileNames: false }, (error, zip) => {
        if (error && reader.failed(error)) reject(error);
        else if (error || !zip) reject(damaged('its table of contents cannot be read', error));
        else resolve(zip);
      });
    });
    try {
      return new ZipArchive(zip, reader, await listEntries(zip), limits);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The names of its entries, from the central directory. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Compressed size of an entry, for progress. */
  compressedSize(name: string): number {
    return this.entries.get(name)?.compressedSize ?? 0;
  }

  /**
   * The inflated bytes of one entry, pulled as they are consumed. `onCompressed` is told how many
   * compressed bytes each step consumed (progress).
   */
  async *read(name: string, onCompressed: (bytes: number) => void = () => undefined): AsyncGenerator<Buffer> {
    const entry = this.entries.get(name);
    if (!entry) throw damaged(`${name} is missing`);
    if (entry.isEncrypted())
      throw new BadFileError('unreadable_file', 'The workbook is encrypted (password-protected); save it without a password.');
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw damaged(`${name} uses compression method ${entry.compressionMethod}`);
    }
    const declared = entry.uncompressedSize;
    if (this.inflated + declared > this.limits.maxInflatedBytes) throw this.overBudget(name);

    const raw = await new Promise<Readable>((resolve, reject) => {
      this.zip.openReadStream(entry, { decodeFileData: false }, (error, stream) =>
        error || !stream ? reject(damaged(`${name} cannot be opened`, error)) : resolve(stream),
      );
    });
    // zlib respects backpressure within one input chunk too: it inflates only as output is read, here up to
    // READ_AHEAD pieces ahead, so the thread pool inflates the next piece while the sheet's thread parses one
    // (memory still bounded, at 256 KB).
    // (Node hands stream options on to the Transform; @types/node's ZlibOptions leaves them out.)
    const options: zlib.ZlibOptions & { highWaterMark: number } = { chunkSize: INFLATE_CHUNK, highWaterMark: READ_AHEAD * INFLATE_CHUNK };
    const inflater = entry.compressionMethod === 8 ? zlib.createInflateRaw(options) : null;
    const output = inflater ? pipeline(raw, inflater, () => undefined) : raw;
    this.streams.add(output);
    let size = 0;
    let crc = 0;
    let compressed = 0;
    try {
      for await (const chunk of output as AsyncIterable<Buffer>) {
        const consumed = inflater ? inflater.bytesWritten : compressed + chunk.length;
        onCompressed(consumed - compressed);
        compressed = consumed;
        size += chunk.length;
        this.inflated += chunk.length;
        if (size > declared) {
          throw new BadFileError(
            'inflated_too_large',
            `${name} declares ${formatBytes(declared)} once inflated but inflates to more: the file is a zip bomb or damaged.`,
            { entry: name, declaredBytes: declared },
          );
        }
        if (this.inflated > this.limits.maxInflatedBytes) throw this.overBudget(name);
        crc = zlib.crc32(chunk, crc);
        yield chunk;
      }
    } catch (error) {
      if (error instanceof BadFileError || this.reader.failed(error)) throw error;
      throw damaged(`${name} cannot be inflated`, error);
    } finally {
      output.destroy();
      raw.destroy();
      this.streams.delete(output);
    }
    if (size !== declared) throw damaged(`${name} inflates to ${size} bytes instead of the ${declared} it declares`);
    if (crc >>> 0 !== entry.crc32 >>> 0) throw damaged(`${name} fails its CRC check`);
  }

  close(): void {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
    this.zip.close();
  }

  private overBudget(name: string) {
    return new BadFileError(
      'inflated_too_large',
      `The workbook inflates to more than ${formatBytes(this.limits.maxInflatedBytes)} (reading ${name}); ` +
        'raise MAX_XLSX_INFLATED_MB or save the sheet as CSV.',
      { entry: name, maxInflatedBytes: this.limits.maxInflatedBytes },
    );
  }
}

/** Reads the central directory: entry names to entries (the first of duplicated names wins). */
function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    let count = 0;
    zip.on('error', (error: Error) => reject(damaged('its table of contents cannot be read', error)));
    zip.on('entry', (entry: Entry) => {
      if (++count > MAX_ENTRIES) {
        reject(damaged(`more than ${MAX_ENTRIES} entries`));
        return;
      }
      if (!entries.has(entry.fileName)) entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.readEntry();
  });
}
