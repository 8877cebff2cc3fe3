import { z } from 'zod';
import { timestampSchema } from './common';
import { FILE_FORMATS, MAPPING_SOURCES, SUGGESTION_SOURCES } from './enums';

/** Most entries a mapping may have: one per column of the widest file (`MAX_COLUMNS`' default). */
const MAX_MAPPED = 200;

export const mappingSourceSchema = z
  .enum(MAPPING_SOURCES)
  .describe(
    "How the file's headers were matched: `aliases` (names and aliases alone), `request` (the upload's `mapping`), `saved` (the mapping remembered for its header set)",
  );

/**
 * `{"file header": "column"}`: for headers the names and aliases do not match, the canonical column each fills
 * (docs/profiles.md, "Column mappings"). Headers are compared as header matching folds them.
 */
export const columnMappingSchema = z
  .record(
    z.string().trim().min(1, 'a header cannot be blank').max(1000),
    z.string().trim().min(1, 'a column name cannot be blank').max(100),
  )
  .refine((mapping) => Object.keys(mapping).length > 0, 'give at least one header')
  .refine((mapping) => Object.keys(mapping).length <= MAX_MAPPED, `at most ${MAX_MAPPED} headers`)
  .describe('`{"file header": "column"}`: the canonical column each named header fills');
export type ColumnMapping = z.infer<typeof columnMappingSchema>;

/** The upload's `mapping` multipart field: the mapping as JSON text. */
export const uploadMappingFieldSchema = z
  .preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not valid JSON; send an object such as {"Raison sociale": "nom"}' });
      return z.NEVER;
    }
  }, columnMappingSchema)
  .describe('JSON text `{"file header": "column"}` for headers that the aliases do not match');

/** A remembered mapping (`GET /mappings`). */
export const savedMappingSchema = z
  .object({
    id: z.uuid(),
    profile: z.string(),
    headers: z.array(z.string()).describe('The headers of the file it was saved for, as spelt there'),
    headerSet: z.array(z.string()).describe('The headers folded, blanks and repeats dropped, sorted: what a file is matched by'),
    mapping: columnMappingSchema,
    savedBy: z.string().nullable().describe('Who saved it (user e-mail or token name)'),
    savedAt: timestampSchema,
  })
  .describe('A column mapping remembered for a profile and a header set');
export type SavedMapping = z.infer<typeof savedMappingSchema>;

/** `GET /mappings`: every saved mapping (of one profile when asked), newest first. */
export const savedMappingListSchema = z.object({ items: z.array(savedMappingSchema) }).describe('Saved column mappings, newest first');
export type SavedMappingList = z.infer<typeof savedMappingListSchema>;

/** `GET /mappings` query. */
export const mappingsQuerySchema = z
  .object({ profile: z.string().trim().min(1).optional().describe('Only the mappings of this profile') })
  .describe('Filter of the saved mappings');

/** `POST /mappings`: saves (or replaces) the mapping of a profile and header set. */
export const newSavedMappingSchema = z
  .object({
    profile: z.string().trim().min(1).describe('The profile: `categories`, `subcategories` or `companies`'),
    headers: z
      .array(z.string().max(1000))
      .min(1)
      .max(1000)
      .describe("The file's header row; its folded, sorted set is what later files are matched by"),
    mapping: columnMappingSchema,
  })
  .describe('A mapping to remember for a profile and a header row');
export type NewSavedMapping = z.infer<typeof newSavedMappingSchema>;

/** `POST /imports/inspect`: the multipart fields besides `file`. */
export const inspectFieldsSchema = z
  .object({
    profile: z.string().trim().min(1).describe('The profile the file is for'),
    sheet: z
      .preprocess((value) => (value === '' ? undefined : value), z.string().trim().min(1).max(100).optional())
      .describe('Workbooks: the sheet to read; default as for an import'),
  })
  .describe('The fields of an inspection, besides the file');

/** One header of an inspected file and the column suggested for it. */
export const headerSuggestionSchema = z
  .object({
    header: z.string().describe('As the file spells it'),
    suggestion: z.string().nullable().describe('The canonical column suggested, or `null`'),
    source: z
      .enum(SUGGESTION_SOURCES)
      .nullable()
      .describe('`alias`: its name or an alias; `saved`: the saved mapping; `closest`: the nearest column name; `null`: no suggestion'),
  })
  .describe('A file header and the column suggested for it');
export type HeaderSuggestion = z.infer<typeof headerSuggestionSchema>;

/** The answer of `POST /imports/inspect`: the header row and what each header would fill. */
export const inspectionSchema = z
  .object({
    profile: z.string(),
    format: z.enum(FILE_FORMATS),
    sheet: z.string().nullable().describe('Workbooks: the sheet read'),
    headers: z.array(z.string()).describe('The header row as read (empty headers included)'),
    columns: z.array(headerSuggestionSchema).describe('One per non-empty header, in file order'),
    missingRequired: z
      .array(z.string())
      .describe('Required columns that names and aliases alone leave unmatched: the import needs a mapping (or a saved one)'),
    savedMappingId: z.uuid().nullable().describe('The mapping saved for this profile and header set; an upload without `mapping` uses it'),
  })
  .describe('What an upload of this file would match');
export type Inspection = z.infer<typeof inspectionSchema>;
