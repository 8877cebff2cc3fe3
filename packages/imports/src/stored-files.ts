/**
 * The uploaded files as the engine and the cleanup see them: in the file store (STORAGE_DRIVER), each named
 * by a UUID (its import's `fileKey`); anything else in the folder or under the bucket's prefix is not ours
 * and is never listed or removed.
 */
import { isUuid } from '@importer/db';
import { createFsFileStore, type FileStore } from '@importer/storage';

/** The file store of a process's dependencies: the one given, else the `fs` driver on `storageDir`. */
export const fileStoreOf = (deps: { fileStore?: FileStore; storageDir: string }): FileStore =>
  deps.fileStore ?? createFsFileStore(deps.storageDir);

/** Removes a stored file; one already gone counts as removed (a previous cleanup died before marking it). */
export async function removeStoredFile(files: FileStore, key: string): Promise<void> {
  await files.delete(key);
}

/**
 * The keys of the stored files written before `before`, `batch` listed at a time (so a store of any size is
 * never held in memory). No folder yet: none.
 */
export async function* storedFilesOlderThan(files: FileStore, before: Date, batch: number): AsyncGenerator<string[]> {
  for await (const objects of files.list(before, batch)) {
    yield objects.map((object) => object.key).filter(isUuid);
  }
}
