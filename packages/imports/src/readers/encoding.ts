import { isUtf8 } from 'node:buffer';
import { readBytes, type FileRef } from '@importer/storage';

type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface DetectedEncoding {
  encoding: TextEncoding;
  /** Bytes of byte-order mark to skip. */
  bomLength: number;
}

/**
 * Decides a text file's encoding: a byte-order mark first (UTF-8, UTF-16 LE/BE), else UTF-8 when the whole
 * file is valid UTF-8, else Windows-1252 (what Excel writes for "CSV" on a French Windows).
 */
export async function detectEncoding(file: FileRef, size: number): Promise<DetectedEncoding> {
  const head = size === 0 ? Buffer.alloc(0) : await readBytes(file, { start: 0, end: Math.min(size, 4) - 1 });
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  return { encoding: (await isUtf8File(file)) ? 'utf-8' : 'windows-1252', bomLength: 0 };
}

/**
 * Checks UTF-8 validity piece by piece as the store scans the file (`FileStore.scan`: a piece is gone once
 * looked at), carrying a character cut at a piece's end into the next.
 */
async function isUtf8File(file: FileRef): Promise<boolean> {
  let carried = Buffer.alloc(0);
  let valid = true;
  await file.store.scan(file.key, (piece) => {
    const bytes = carried.length > 0 ? Buffer.concat([carried, piece]) : piece;
    const cut = incompleteTail(bytes);
    valid = isUtf8(bytes.subarray(0, bytes.length - cut));
    carried = Buffer.from(bytes.subarray(bytes.length - cut));
    return valid;
  });
  return valid && carried.length === 0;
}

/** Number of trailing bytes that start a multi-byte character not finished in this buffer. */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}
