import type { ReadLimits, Source, FileFormat } from './source';
import { openCsv } from './csv';
import { openWorkbook } from './workbook';

export * from './source';
export { detectEncoding } from './encoding';

/** Opens a stored file with the reader for its detected format. */
export function openSource(path: string, format: FileFormat, limits: ReadLimits, options: { sheet?: string } = {}): Promise<Source> {
  return format === 'csv' ? openCsv(path, limits) : openWorkbook(path, format, limits, options.sheet);
}
