import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import type { FileFormat } from '@importer/imports';
import { HttpError } from './errors';

/** What the storage engine adds to multer's file: where it went and its SHA-256, computed on the way. */
export interface StoredFile extends Express.Multer.File {
  key: string;
  sha256: string;
}

/** Uploaded files are the users' data: readable by the API's user only, in a folder only it can open. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Multer storage that streams the upload to `dir` under a generated name, hashing it as it passes, so a
 * 100 MB file never sits in memory.
 */
function hashingDiskStorage(dir: string): multer.StorageEngine {
  // Once per process: a folder made earlier (by an older version, or by hand) is closed too.
  let ready: Promise<void> | undefined;
  const prepare = () => (ready ??= mkdir(dir, { recursive: true, mode: DIR_MODE }).then(() => chmod(dir, DIR_MODE)));
  return {
    _handleFile(_req, file, callback) {
      const key = randomUUID();
      const destination = path.join(dir, key);
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      prepare()
        .then(() => pipeline(file.stream, tap, createWriteStream(destination, { mode: FILE_MODE })))
        .then(() => callback(null, { key, path: destination, size, sha256: hash.digest('hex') } as Partial<StoredFile>))
        .catch((error: Error) => {
          ready = undefined;
          unlink(destination).catch(() => undefined);
          callback(error);
        });
    },
    _removeFile(_req, file, callback) {
      unlink(file.path).then(
        () => callback(null),
        () => callback(null),
      );
    },
  };
}

/** An error of the operating system (disk full, permissions): the server's fault, not the request's. */
const isSystemError = (error: unknown) => typeof (error as { errno?: unknown }).errno === 'number';

/**
 * The upload's multipart parser. File names are read as UTF-8 (multer's default, latin1, garbles "é");
 * a body that is not valid multipart (busboy's errors) is a 400 `invalid_upload`.
 */
export function uploadMiddleware(storageDir: string, maxFileBytes: number): RequestHandler {
  const parse = multer({
    storage: hashingDiskStorage(storageDir),
    defParamCharset: 'utf8',
    limits: { fileSize: maxFileBytes, files: 1, fields: 20, fieldSize: 16 * 1024, parts: 25 },
  }).single('file');
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (!error || error instanceof multer.MulterError || error instanceof HttpError || isSystemError(error)) return next(error);
      next(new HttpError(400, 'invalid_upload', `The request is not a valid multipart/form-data upload (${(error as Error).message}).`));
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
export async function detectFormat(file: StoredFile): Promise<FileFormat> {
  const handle = await open(file.path, 'r');
  let head: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const { fileTypeFromFile } = await import('file-type');
  const detected = hasTextBom(head) ? undefined : await fileTypeFromFile(file.path);
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
