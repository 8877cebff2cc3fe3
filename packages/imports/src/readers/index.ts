import type { ReadLimits, Source, FileFormat } from './source';
import { openCsv } from './csv';
import { openXls } from './xls';
import { openXlsx } from './xlsx';

export * from './source';

/** Opens a stored file with the reader for its detected format. */
export function openSource(path: string, format: FileFormat, limits: ReadLimits, options: { sheet?: string } = {}): Promise<Source> {
  if (format === 'csv') return openCsv(path, limits);
  if (format === 'xlsx') return openXlsx(path, limits, options.sheet);
  return openXls(path, limits, options.sheet);
}
