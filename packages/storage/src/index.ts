import type { StorageSettings } from '@importer/config';
import type { FileStore } from './file-store';
import { createFsFileStore } from './fs-store';

export * from './file-store';
export { createFsFileStore } from './fs-store';

/**
 * The file store the configuration names (`storageSettings(config)` of @importer/config). The `s3` driver,
 * with the AWS SDK (≈ 20 MB of memory), is loaded on its first use only: a process on `fs` never loads it.
 */
export function createFileStore(settings: StorageSettings): FileStore {
  if (settings.driver === 'fs') return createFsFileStore(settings.dir);
  let loaded: Promise<FileStore> | undefined;
  const s3 = () => (loaded ??= import('./s3-store').then(({ createS3FileStore }) => createS3FileStore(settings)));
  return {
    driver: 's3',
    write: async (key, body) => (await s3()).write(key, body),
    read: async (key, range) => (await s3()).read(key, range),
    scan: async (key, look) => (await s3()).scan(key, look),
    stat: async (key) => (await s3()).stat(key),
    delete: async (key) => (await s3()).delete(key),
    async *list(before, batch) {
      yield* (await s3()).list(before, batch);
    },
    abortStaleUploads: async (before) => (await s3()).abortStaleUploads(before),
    check: async () => (await s3()).check(),
  };
}
