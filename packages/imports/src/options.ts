import { importOptionsSchema, type ImportOptions } from '@importer/contracts';

/** Options of one import (docs/write-semantics.md), as stored on its record; the schema is the API's contract. */
export type { ImportOptions };

/** The stored options of an import, defaults filled in. */
export function parseImportOptions(input: unknown): ImportOptions {
  return importOptionsSchema.parse(input ?? {});
}
