import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, chmod, constants, mkdir, open, opendir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, StoredFileMissingError, type ByteRange, type FileStore, type StoredObject } from './file-store';

/** Uploaded files are the users' data: readable by the processes' user only, in a folder only it can open. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Bytes the file's write stream takes before it asks the upload to wait. Node's default (16 KB) is less than
 * one 64 KB read of a socket: each chunk then waited for its own write to come back from libuv's thread pool
 * before the next was read. With 1 MB, the chunks that arrive while a write is in flight go to disk together
 * in one `writev`, and the upload is read, parsed and hashed meanwhile.
 */
const WRITE_BYTES = 1024 * 1024;

/** Bytes per read of `scan`, into its one buffer. */
const SCAN_BYTES = 256 * 1024;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** The `fs` driver: one file per key in `dir` (STORAGE_DIR), mode 0600, the folder 0700. */
export function createFsFileStore(dir: string): FileStore {
  // Once per process: a folder made earlier (by an older version, or by hand) is closed too.
  let ready: Promise<void> | undefined;
  const prepare = () => (ready ??= mkdir(dir, { recursive: true, mode: DIR_MODE }).then(() => chmod(dir, DIR_MODE)));
  const pathOf = (key: string) => path.join(dir, checkKey(key));

  /** A stored file opened for reading; a missing one is `StoredFileMissingError`. */
  const openStored = async (key: string) => {
    try {
      return await open(pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new StoredFileMissingError(key, { cause: error });
      throw error;
    }
  };

  const statOf = async (key: string): Promise<StoredObject> => {
    try {
      const info = await stat(pathOf(key));
      if (!info.isFile()) throw new StoredFileMissingError(key);
      return { key, size: info.size, modifiedAt: info.mtime };
    } catch (error) {
      if (isMissing(error)) throw new StoredFileMissingError(key, { cause: error });
      throw error;
    }
  };

  return {
    driver: 'fs',

    async write(key, body) {
      const destination = pathOf(key);
      let file: WriteStream | undefined;
      try {
        await prepare();
        // The body may have failed while the folder was made: nothing to write then.
        if (body.destroyed) throw body.errored ?? new Error('The file stream closed before it was stored.');
        file = createWriteStream(destination, { mode: FILE_MODE, highWaterMark: WRITE_BYTES });
        await pipeline(body, file);
      } catch (error) {
        ready = undefined;
        // A write stream destroyed before its file was open still opens (creates) it, then closes it; the
        // pipeline does not wait for that: unlinking before the close would leave the file behind.
        if (file && !file.closed) await once(file, 'close').catch(() => undefined);
        await unlink(destination).catch(() => undefined);
        throw error;
      }
    },

    async read(key: string, range?: ByteRange): Promise<Readable> {
      const handle = await openStored(key);
      return handle.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
    },

    async scan(key, look) {
      const handle = await openStored(key);
      try {
        const buffer = Buffer.allocUnsafe(SCAN_BYTES);
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, SCAN_BYTES, null);
          if (bytesRead === 0 || !look(buffer.subarray(0, bytesRead))) return;
        }
      } finally {
        await handle.close();
      }
    },

    stat: statOf,

    async delete(key) {
      try {
        await unlink(pathOf(key));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    },

    async *list(before, batch) {
      let folder;
      try {
        folder = await opendir(dir);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      const older = async (names: string[]) => {
        const found: StoredObject[] = [];
        for (const name of names) {
          const info = await statOf(name).catch(() => null);
          if (info && info.modifiedAt < before) found.push(info);
        }
        return found;
      };
      let names: string[] = [];
      for await (const entry of folder) {
        if (!entry.isFile()) continue;
        names.push(entry.name);
        if (names.length === batch) {
          yield await older(names);
          names = [];
        }
      }
      yield await older(names);
    },

    // A file is written straight under its key and removed when its upload fails: nothing is left half-done.
    abortStaleUploads: () => Promise.resolve(0),

    async check() {
      // Not made yet is fine (the first upload makes it); there but not writable is not.
      await access(dir, constants.W_OK | constants.X_OK).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    },
  };
}
