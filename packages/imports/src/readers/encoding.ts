import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';

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
export async function detectEncoding(path: string): Promise<DetectedEncoding> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  return { encoding: (await isUtf8File(path)) ? 'utf-8' : 'windows-1252', bomLength: 0 };
}

/** Checks UTF-8 validity piece by piece (one buffer, reused), carrying a character cut at a piece's end into the next. */
async function isUtf8File(path: string): Promise<boolean> {
  const PIECE = 1 << 20;
  const buffer = Buffer.allocUnsafe(PIECE + 3);
  const file = await open(path, 'r');
  try {
    let carried = 0;
    for (let position = 0; ;) {
      const { bytesRead } = await file.read(buffer, carried, PIECE, position);
      if (bytesRead === 0) return carried === 0;
      position += bytesRead;
      const length = carried + bytesRead;
      const cut = incompleteTail(buffer.subarray(0, length));
      if (!isUtf8(buffer.subarray(0, length - cut))) return false;
      buffer.copy(buffer, 0, length - cut, length);
      carried = cut;
    }
  } finally {
    await file.close();
  }
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
