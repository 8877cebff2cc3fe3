import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadFileError } from '../errors';
import { cellTooLarge } from './source';
import { unescapeOoxml } from './spreadsheet-values';
import { XML_VALUE_TOO_LARGE, XmlPartParser } from './xml';

const PAGE_BYTES = 64 * 1024;
const WRITE_BYTES = 256 * 1024;
const RECENT_SLOTS = 4096;
const RECENT_MAX_CHARS = 256;

/**
 * An append-then-read temporary file read back through a small LRU cache of pages, so what it holds costs
 * disk, not memory. The file is unlinked as soon as it is created (Linux keeps it while the descriptor is
 * open), so a crashed worker leaves nothing behind.
 */
class SpillFile {
  private readonly fd: number;
  private readonly path: string;
  private unlinked = false;
  private closed = false;
  private size = 0;
  private readonly out = Buffer.allocUnsafe(WRITE_BYTES);
  private outLength = 0;
  /** Page number → page bytes, least recently used first. */
  private readonly pages = new Map<number, Buffer>();
  /** The most recently used page, checked first. */
  private lastNumber = -1;
  private lastPage: Buffer | null = null;

  constructor(private readonly maxPages: number) {
    this.path = path.join(tmpdir(), `importer-spill-${randomUUID()}`);
    this.fd = openSync(this.path, 'w+', 0o600);
    try {
      unlinkSync(this.path);
      this.unlinked = true;
    } catch {
      // Not on this platform: unlinked on close instead.
    }
  }

  get length(): number {
    return this.size + this.outLength;
  }

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > WRITE_BYTES - this.outLength) this.flush();
    if (bytes > WRITE_BYTES) {
      this.writeAll(Buffer.from(text));
      return;
    }
    this.out.write(text, this.outLength);
    this.outLength += bytes;
  }

  appendDouble(value: number): void {
    if (this.outLength + 8 > WRITE_BYTES) this.flush();
    this.out.writeDoubleLE(value, this.outLength);
    this.outLength += 8;
  }

  flush(): void {
    if (this.outLength === 0) return;
    this.writeAll(this.out.subarray(0, this.outLength));
    this.outLength = 0;
  }

  /** UTF-8 text of `length` bytes at `offset`. */
  readString(offset: number, length: number): string {
    const first = Math.floor(offset / PAGE_BYTES);
    const start = offset - first * PAGE_BYTES;
    if (start + length <= PAGE_BYTES) return this.page(first).toString('utf8', start, start + length);
    const bytes = Buffer.allocUnsafe(length);
    let copied = 0;
    for (let page = first; copied < length; page++) {
      const from = page === first ? start : 0;
      copied += this.page(page).copy(bytes, copied, from, Math.min(PAGE_BYTES, from + length - copied));
    }
    return bytes.toString('utf8');
  }

  /** The double at `offset`, which must be a multiple of 8 (so it never straddles two pages). */
  readDouble(offset: number): number {
    const page = Math.floor(offset / PAGE_BYTES);
    return this.page(page).readDoubleLE(offset - page * PAGE_BYTES);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pages.clear();
    this.lastPage = null;
    closeSync(this.fd);
    if (!this.unlinked) unlinkSync(this.path);
  }

  private writeAll(bytes: Buffer): void {
    for (let written = 0; written < bytes.length;)
      written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    this.size += bytes.length;
  }

  private page(number: number): Buffer {
    if (number === this.lastNumber && this.lastPage) return this.lastPage;
    this.lastNumber = number;
    const cached = this.pages.get(number);
    if (cached) {
      this.pages.delete(number);
      this.pages.set(number, cached);
      this.lastPage = cached;
      return cached;
    }
    let buffer: Buffer | undefined;
    if (this.pages.size >= this.maxPages) {
      const [oldest, reused] = this.pages.entries().next().value as [number, Buffer];
      this.pages.delete(oldest);
      buffer = reused;
    }
    buffer ??= Buffer.allocUnsafe(PAGE_BYTES);
    readSync(this.fd, buffer, 0, PAGE_BYTES, number * PAGE_BYTES);
    this.pages.set(number, buffer);
    this.lastPage = buffer;
    return buffer;
  }
}

export interface SharedStringsOptions {
  /** Memory for cached pages of text; the index gets a quarter of it. */
  cacheBytes?: number;
}

/**
 * A workbook's shared-string table (`xl/sharedStrings.xml`), kept on disk in a temporary file and read
 * back through a small page cache, so memory stays fixed however many strings the workbook holds. Excel
 * numbers strings in order of first use, so reading a sheet walks the table mostly forwards and the cache
 * holds the strings repeated across rows.
 */
export class SharedStrings {
  private readonly text: SpillFile;
  private readonly index: SpillFile;
  private count = 0;
  private sealed = false;
  /** Direct-mapped cache of short strings recently read (values repeated across rows stay decoded). */
  private readonly recentIndex = new Int32Array(RECENT_SLOTS).fill(-1);
  private readonly recent: (string | undefined)[] = new Array<string | undefined>(RECENT_SLOTS);

  constructor(options: SharedStringsOptions = {}) {
    const cacheBytes = options.cacheBytes ?? 8 * 1024 * 1024;
    this.text = new SpillFile(Math.max(2, Math.floor(cacheBytes / PAGE_BYTES)));
    this.index = new SpillFile(Math.max(2, Math.floor(cacheBytes / 4 / PAGE_BYTES)));
    this.index.appendDouble(0);
  }

  get length(): number {
    return this.count;
  }

  add(value: string): void {
    if (this.sealed) throw new Error('SharedStrings: add after the first get');
    this.text.append(value);
    this.index.appendDouble(this.text.length);
    this.count++;
  }

  /** The string at `position`, or undefined when the table has no such entry. */
  get(position: number): string | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.count) return undefined;
    if (!this.sealed) {
      this.text.flush();
      this.index.flush();
      this.sealed = true;
    }
    const slot = position & (RECENT_SLOTS - 1);
    if (this.recentIndex[slot] === position) return this.recent[slot];
    const start = this.index.readDouble(position * 8);
    const end = this.index.readDouble(position * 8 + 8);
    const value = end === start ? '' : this.text.readString(start, end - start);
    if (value.length <= RECENT_MAX_CHARS) {
      this.recentIndex[slot] = position;
      this.recent[slot] = value;
    }
    return value;
  }

  close(): void {
    this.text.close();
    this.index.close();
  }
}

/** A shared-strings part parsed as it is given, piece by piece. */
export interface SharedStringsParser {
  write(bytes: Buffer): void;
  /** Ends the part (a truncated one fails here); returns its table, which the caller closes. */
  end(): SharedStrings;
  /** Lets the table go (a part that failed, or that is abandoned). */
  close(): void;
}

/**
 * Parses the shared-string table (`xl/sharedStrings.xml`) into a disk-backed `SharedStrings`: each `<si>` is
 * the text of its `<t>` elements (rich-text runs joined, `_xHHHH_` escapes decoded), phonetic hints
 * (`<rPh>`) left out.
 */
export function sharedStringsParser(part: string, limits: { maxPendingChars: number; maxCellChars: number }): SharedStringsParser {
  const { maxPendingChars } = limits;
  const strings = new SharedStrings();
  let inSi = false;
  let inT = false;
  let inPhonetic = false;
  let text = '';
  /** The string being read is longer than the XML may hold: the file fails, naming it. */
  const tooLarge = () =>
    cellTooLarge(`${part}, string ${strings.length + 1}`, { maxRecordChars: maxPendingChars, maxCellChars: limits.maxCellChars }, { part });
  const parser = new XmlPartParser(
    part,
    {
      open({ name }) {
        if (name === 'si') {
          inSi = true;
          text = '';
        } else if (name === 't' && inSi && !inPhonetic) inT = true;
        else if (name === 'rPh') inPhonetic = true;
      },
      wantsText: () => inT,
      text(chunk) {
        text += chunk;
        if (text.length > maxPendingChars) throw tooLarge();
      },
      close(name) {
        if (name === 't') inT = false;
        else if (name === 'rPh') inPhonetic = false;
        else if (name === 'si') {
          inSi = false;
          strings.add(unescapeOoxml(text));
        }
      },
    },
    maxPendingChars,
  );
  /** Runs a step of the parse; on failure the table goes, and text too long for the XML is the string's. */
  const guard = (step: () => void) => {
    try {
      step();
    } catch (error) {
      strings.close();
      throw inT && error instanceof BadFileError && error.code === XML_VALUE_TOO_LARGE ? tooLarge() : error;
    }
  };
  return {
    write: (bytes) => guard(() => parser.write(bytes)),
    end() {
      guard(() => parser.end());
      return strings;
    },
    close: () => strings.close(),
  };
}
