import type { ImportLimits } from '@importer/config';
import type { Inspection } from '@importer/contracts';
import { createColumnMappingsRepository, type Queryable } from '@importer/db';
import type { FileRef } from '@importer/storage';
import { headerSet, suggestColumns } from './column-mapping';
import type { Profile } from './profiles/profile';
import { openSource, type FileFormat } from './readers';

/**
 * Reads a stored file's header row through the import's own readers (CSV dialect detection, XLSX streaming,
 * XLS in its thread) with the import's limits, and tells what each header would fill: the admin UI's mapping
 * step (`POST /imports/inspect`). Reader errors are the import's: `BadFileError` with the same codes.
 */
export async function inspectFile(
  db: Queryable,
  file: FileRef & { format: FileFormat },
  profile: Profile,
  limits: ImportLimits,
  options: { sheet?: string } = {},
): Promise<Inspection> {
  const source = await openSource(
    { store: file.store, key: file.key },
    file.format,
    {
      maxColumns: limits.maxColumns,
      maxCellChars: limits.maxCellChars,
      maxRecordChars: limits.maxCellChars * limits.maxColumns,
      maxInflatedBytes: limits.maxInflatedBytes,
      maxXlsCells: limits.maxXlsCells,
      xlsMemoryMb: limits.xlsMemoryMb,
    },
    options,
  );
  try {
    const { headers } = source;
    const saved = await createColumnMappingsRepository(db).find(profile.name, headerSet(headers));
    const { columns, missingRequired } = suggestColumns(profile, headers, saved?.mapping ?? null);
    return {
      profile: profile.name,
      format: file.format,
      sheet: source.dialect.sheet,
      headers,
      columns,
      missingRequired,
      savedMappingId: saved?.id ?? null,
    };
  } finally {
    await source.close();
  }
}
