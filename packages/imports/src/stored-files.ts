/**
 * The uploaded files in `STORAGE_DIR`, as the cleanup sees them: each is named by a UUID (its import's
 * `fileKey`); anything else in the folder is not ours and is never listed or removed.
 */
import { opendir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isUuid } from '@importer/db';

/** Removes a stored file; one already gone counts as removed (a previous cleanup died before marking it). */
export async function removeStoredFile(storageDir: string, key: string): Promise<void> {
  try {
    await unlink(path.join(storageDir, path.basename(key)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * The stored files last modified before `before`, by name, listed `batch` directory entries at a time (so
 * a folder of any size is never held in memory). No folder yet: none.
 */
export async function* storedFilesOlderThan(storageDir: string, before: Date, batch: number): AsyncGenerator<string[]> {
  let dir;
  try {
    dir = await opendir(storageDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const older = async (names: string[]) => {
    const found: string[] = [];
    for (const name of names) {
      const info = await stat(path.join(storageDir, name)).catch(() => null);
      if (info?.isFile() && info.mtime < before) found.push(name);
    }
    return found;
  };
  let names: string[] = [];
  for await (const entry of dir) {
    if (!entry.isFile() || !isUuid(entry.name)) continue;
    names.push(entry.name);
    if (names.length === batch) {
      yield await older(names);
      names = [];
    }
  }
  yield await older(names);
}
