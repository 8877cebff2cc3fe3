import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { isXlsxPackage, type FileFormat } from '@importer/imports';
import type { FileStore } from '@importer/storage';
import { HttpError } from './errors';

/** What the storage engine adds to multer's file: its key in the file store, its SHA-256 and its first bytes. */
export interface StoredFile extends Express.Multer.File {
  key: string;
  sha256: string;
  /** The first `HEAD_BYTES` of the file, kept as it streamed by: its type is read from them. */
  head: Buffer;
}

/** Bytes of an upload kept to sniff its type: what file-type needs for every format we accept. */
const HEAD_BYTES = 64 * 1024;

/**
 * file-type, an ES module, loaded once per process: from the moment an upload route is made, so that the
 * first upload does not wait for it.
 */
let fileType: Promise<typeof import('file-type')> | undefined;
const loadFileType = () => (fileType ??= import('file-type'));

/**
 * Bytes the multipart parser and the file's stream each hold before asking the one before them to wait.
 * busboy's default (16 KB, Node's) is a quarter of one 64 KB read of the socket: every chunk then found
 * the file stream "full", busboy held back its write callback until the store read it, and the request's
 * socket was paused and resumed again and again. With 1 MB a chunk passes straight through while the store
 * keeps up; back-pressure still holds an upload to the store's pace, with at most a few MB in flight.
 */
const STREAM_BYTES = 1024 * 1024;

/** The size limit cut the file short (busboy's `limit`): what is stored so far must go. */
class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';
}

/**
 * The first `HEAD_BYTES` of a stream, kept as its chunks pass: by reference (views of the chunks busboy
 * hands on, which nothing reuses), copied once into one buffer when asked for.
 */
function headKeeper() {
  const pieces: Buffer[] = [];
  let bytes = 0;
  return {
    keep(chunk: Buffer) {
      if (bytes >= HEAD_BYTES) return;
      const piece = chunk.length <= HEAD_BYTES - bytes ? chunk : chunk.subarray(0, HEAD_BYTES - bytes);
      pieces.push(piece);
      bytes += piece.length;
    },
    head: () => (pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, bytes)),
  };
}

/**
 * The file's stream as the store reads it: busboy's chunks handed on by reference as they arrive, each
 * given to `look` first (hashed, counted, the head kept). One stream between busboy and the store, not a
 * Transform piped in between (a writable side, a readable side and a pipe per chunk): the upload's chunks
 * cost the least JavaScript on their way to the disk. The store's pace holds busboy back (pause/resume).
 */
function tappedBody(source: Readable, look: (chunk: Buffer) => void): Readable {
  const body = new Readable({ highWaterMark: STREAM_BYTES, read: () => source.resume() });
  source.on('data', (chunk: Buffer) => {
    if (body.destroyed) return; // cut short (the limit) or the store failed: busboy reads on, nothing is kept
    look(chunk);
    if (!body.push(chunk)) source.pause();
  });
  source.once('end', () => body.push(null));
  source.on('error', (error) => body.destroy(error));
  return body;
}

/**
 * Multer storage that streams the upload into the file store under a generated key, hashing it and
 * keeping its first bytes as it passes, so a 100 MB file never sits in memory nor on the API's disk. Each
 * chunk is hashed and handed on as it came, never copied. A file cut short (the size limit, a client gone
 * mid-upload) fails the store's write, which leaves nothing behind.
 */
function hashingStoreStorage(files: FileStore): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const key = randomUUID();
      const hash = createHash('sha256');
      const head = headKeeper();
      let size = 0;
      const body = tappedBody(file.stream, (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        head.keep(chunk);
      });
      // The store's write sees a failure as its body's (`errored`), whenever it starts reading it.
      body.on('error', () => undefined);
      file.stream.once('limit', () => {
        body.destroy(new FileTooLargeError());
        file.stream.resume(); // busboy reads on to the next part
      });
      const written = files.write(key, body).then(
        () => callback(null, { key, size, sha256: hash.digest('hex'), head: head.head() } as Partial<StoredFile>),
        (error: Error) => {
          body.destroy(); // the rest of the file is not kept: the parser moves on
          callback(error);
        },
      );
      storeWrites.set(req, written);
    },
    _removeFile(_req, file, callback) {
      files.delete((file as StoredFile).key).then(
        () => callback(null),
        () => callback(null),
      );
    },
  };
}

/**
 * Each request's file write, settled once the store has kept or removed the file. multer answers a
 * multipart error raised on the file's stream (a body cut short, a missing end boundary) without waiting
 * for its storage engine; the middleware waits for this instead, so that no answer goes out while the
 * store still holds a file it is about to remove.
 */
const storeWrites = new WeakMap<Request, Promise<void>>();

/** An error of the operating system (disk full, permissions): the server's fault, not the request's. */
const isSystemError = (error: unknown) => typeof (error as { errno?: unknown }).errno === 'number';

/** An error the object store answered (an S3 service error: bucket missing, access denied): the server's fault too. */
const isStoreError = (error: unknown) => typeof (error as { $metadata?: unknown }).$metadata === 'object';

/**
 * The upload's multipart parser. File names are read as UTF-8 (multer's default, latin1, garbles "é");
 * a body that is not valid multipart (busboy's errors) is a 400 `invalid_upload`.
 */
export function uploadMiddleware(files: FileStore, maxFileBytes: number): RequestHandler {
  loadFileType().catch(() => undefined); // a failure is the first upload's to report
  // busboy's stream sizes are multer options (2.x) its type declarations do not list yet.
  const options: multer.Options & { highWaterMark: number; fileHwm: number } = {
    storage: hashingStoreStorage(files),
    defParamCharset: 'utf8',
    highWaterMark: STREAM_BYTES,
    fileHwm: STREAM_BYTES,
    limits: { fileSize: maxFileBytes, files: 1, fields: 20, fieldSize: 16 * 1024, parts: 25 },
  };
  const parse = multer(options).single('file');
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const answer =
        error instanceof multer.MulterError || error instanceof HttpError || isSystemError(error) || isStoreError(error)
          ? error
          : new HttpError(400, 'invalid_upload', `The request is not a valid multipart/form-data upload (${(error as Error).message}).`);
      void (storeWrites.get(req) ?? Promise.resolve()).then(() => next(answer));
    });
  };
}

export const uploadedFile = (req: Request) => req.file as StoredFile | undefined;

const TEXT_EXTENSIONS = new Set(['.csv', '.tsv', '.txt']);

const hasTextBom = (head: Buffer) =>
  (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) ||
  (head[0] === 0xff && head[1] === 0xfe) ||
  (head[0] === 0xfe && head[1] === 0xff);

/**
 * Decides the format from the content (magic bytes, read by `file-type`), then checks that the file name's
 * extension agrees: a disguised file is refused with 415. A byte-order mark means text before anything
 * else: `file-type` reads UTF-16's `FF FE` (Excel's "Unicode text") as an MPEG frame.
 */
export async function detectFormat(files: FileStore, file: StoredFile): Promise<FileFormat> {
  const { head } = file;
  const { fileTypeFromBuffer } = await loadFileType();
  let detected = hasTextBom(head) ? undefined : await fileTypeFromBuffer(head);
  if (detected?.ext === 'zip' && file.size > head.length && (await isXlsxPackage({ store: files, key: file.key }))) {
    // A workbook whose first 64 KB do not say so (a large part first, or parts streamed without their sizes):
    // its central directory, at the end of the file, does.
    detected = { ext: 'xlsx', mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' };
  }
  const extension = path.extname(file.originalname).toLowerCase();
  let format: FileFormat | null = null;
  if (detected?.ext === 'xlsx') format = 'xlsx';
  else if (detected?.ext === 'cfb' || detected?.ext === 'xls') format = 'xls';
  else if (!detected && (hasTextBom(head) || !head.includes(0))) format = 'csv';
  const what = detected ? `${detected.mime} (.${detected.ext})` : format ? 'text' : 'binary data';
  if (!format) {
    throw new HttpError(415, 'unsupported_media_type', `The file is ${what}; expected CSV, XLSX or XLS.`, {
      detected: detected?.ext ?? null,
    });
  }
  const agrees =
    extension === '' ||
    (format === 'csv' && TEXT_EXTENSIONS.has(extension)) ||
    (format === 'xlsx' && extension === '.xlsx') ||
    (format === 'xls' && extension === '.xls');
  if (!agrees) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `The file is named "${file.originalname}" but its content is ${what}; the extension must match the content.`,
      { extension, detected: format },
    );
  }
  return format;
}
