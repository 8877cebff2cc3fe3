import path from 'node:path';
import { createFsFileStore, type FileRef } from '@importer/storage';
import type { ReadLimits, Source, FileFormat } from './source';
import { openCsv } from './csv';
import { openXls } from './xls';
import { openXlsx } from './xlsx';

export * from './source';
export { isXlsxPackage } from './xlsx';

/**
 * Opens a stored file (or a local file, by its path: tests, scripts) with the reader for its detected
 * format, reading it through its file store.
 */
export function openSource(
  source: FileRef | string,
  format: FileFormat,
  limits: ReadLimits,
  options: { sheet?: string } = {},
): Promise<Source> {
  const file = typeof source === 'string' ? { store: createFsFileStore(path.dirname(source)), key: path.basename(source) } : source;
  if (format === 'csv') return openCsv(file, limits);
  if (format === 'xlsx') return openXlsx(file, limits, options.sheet);
  return openXls(file, limits, options.sheet);
}
