import { WRITE_MODES } from '@importer/db';
import { z } from 'zod';

/** Multipart fields arrive as text: accept `true`/`false`/`1`/`0`/`on` as well as JSON booleans. */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(word)) return true;
  if (['false', '0', 'off', 'no', ''].includes(word)) return false;
  return value;
}, z.boolean());

/** Options of one import (docs/api.md, `POST /imports`; docs/write-semantics.md), stored on the import record. */
export const importOptionsSchema = z.object({
  /** `upsert` (default: blank cells keep stored values), `overwrite` (blanks clear) or `insert_only`. */
  mode: z.enum(WRITE_MODES as [string, ...string[]]).default('upsert'),
  /** Validate and look up everything, report what would change, write nothing to business tables. */
  dryRun: flag.default(false),
  /** Sheet to read in a workbook; default: the first sheet that is not empty. */
  sheet: z.string().trim().min(1).max(100).optional(),
  /** Create the categories that subcategory rows name but that do not exist yet. */
  createMissingCategories: flag.default(false),
});

export type ImportOptions = z.infer<typeof importOptionsSchema> & { mode: (typeof WRITE_MODES)[number] };

export function parseImportOptions(input: unknown): ImportOptions {
  return importOptionsSchema.parse(input ?? {}) as ImportOptions;
}
