import type { StorageSettings } from '@importer/config';
import type { FileStore } from './file-store';
import { createFsFileStore } from './fs-store';
import { createS3FileStore } from './s3-store';

export * from './file-store';
export { createFsFileStore } from './fs-store';
export { createS3FileStore } from './s3-store';

/** The file store the configuration names (`storageSettings(config)` of @importer/config). */
export function createFileStore(settings: StorageSettings): FileStore {
  return settings.driver === 'fs' ? createFsFileStore(settings.dir) : createS3FileStore(settings);
}
