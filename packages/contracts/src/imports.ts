import { z } from 'zod';
import { pageQuerySchema, pageSchema, timestampSchema } from './common';
import { FILE_FORMATS, IMPORT_SOURCES, ROW_ERROR_LEVELS, WRITE_MODES } from './enums';
import { IMPORT_STATUSES } from './import-status';
import { columnMappingSchema, mappingSourceSchema, uploadMappingFieldSchema } from './mappings';
import { resubmissionSchema } from './import-fixes';
import { webhookUrlSchema } from './webhooks';
import { revertViewSchema } from './reverts';

export const importStatusSchema = z.enum(IMPORT_STATUSES).describe('Where the import is in its life (docs/api.md, "The import record")');

export const importSourceSchema = z
  .enum(IMPORT_SOURCES)
  .describe('`file`: an upload, read by a worker; `sync`: a batch of JSON rows written by `POST /sync/:profile`');

export const writeModeSchema = z
  .enum(WRITE_MODES)
  .describe('`upsert`: blank cells keep stored values; `overwrite`: blanks clear; `insert_only`');

/** Options of one import (docs/write-semantics.md), stored on the import record with the defaults filled in. */
export const importOptionsSchema = z
  .object({
    mode: writeModeSchema.default('upsert'),
    dryRun: z.boolean().default(false).describe('Validate and look up everything, report what would change, write nothing'),
    sheet: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe('Sheet to read in a workbook; default: the first visible one with a value'),
    createMissingCategories: z
      .boolean()
      .default(false)
      .describe('Create the categories that subcategory rows name but that do not exist yet'),
    mapping: columnMappingSchema.optional().describe('The upload\'s `{"file header": "column"}` for headers the aliases do not match'),
  })
  .describe('Options of one import');
export type ImportOptions = z.infer<typeof importOptionsSchema>;
/** Options as a caller may give them: defaults left out. */
export type ImportOptionsInput = z.input<typeof importOptionsSchema>;

/** Multipart fields arrive as text: `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no` (blank: false). */
const formFlag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(word)) return true;
  if (['false', '0', 'off', 'no', ''].includes(word)) return false;
  return value;
}, z.boolean());

/** A text field an HTML form sends blank (an unchosen select) counts as not sent. */
const blankAsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema);

/** `POST /imports`: the multipart fields besides `file` (docs/api.md). `profile` names one of `GET /profiles`. */
export const uploadFieldsSchema = z
  .object({
    profile: z.string().trim().min(1).describe('The profile: `categories`, `subcategories` or `companies`'),
    mode: blankAsAbsent(importOptionsSchema.shape.mode),
    dryRun: formFlag.default(false).describe(importOptionsSchema.shape.dryRun.description ?? ''),
    sheet: blankAsAbsent(importOptionsSchema.shape.sheet),
    createMissingCategories: formFlag.default(false).describe(importOptionsSchema.shape.createMissingCategories.description ?? ''),
    mapping: blankAsAbsent(uploadMappingFieldSchema.optional()),
    webhookUrl: blankAsAbsent(webhookUrlSchema.optional()).describe(
      'Also POST the finished import here, signed with WEBHOOK_SECRET (docs/api.md, "Webhooks")',
    ),
  })
  .describe('The fields of an upload, besides the file');
/** The upload's options alone (`invalid_options` names their fields), `profile` being checked first. */
export const uploadOptionsSchema = uploadFieldsSchema.omit({ profile: true });
export type UploadFields = z.input<typeof uploadFieldsSchema>;

/** `GET /imports`: filters and a page. */
export const importsListQuerySchema = pageQuerySchema(100, 20)
  .extend({ status: importStatusSchema.optional(), profile: z.string().optional(), source: importSourceSchema.optional() })
  .describe('Filters and page of the imports list');
export type ImportsListQuery = z.infer<typeof importsListQuerySchema>;

const count = z.number().int().nonnegative();

/** The import record (docs/api.md, "The import record"): the answer of upload, get, retry, cancel, and each progress event. */
export const importViewSchema = z
  .object({
    id: z.uuid(),
    profile: z.string(),
    source: importSourceSchema,
    options: importOptionsSchema,
    status: importStatusSchema,
    file: z.object({
      name: z.string().describe('As uploaded, read as UTF-8 (`sync-batch.json` for a sync batch)'),
      size: count.describe('Bytes'),
      sha256: z.string(),
      format: z.enum(FILE_FORMATS).describe('Decided by content; `json` for a sync batch'),
      encoding: z.string().nullable().describe('CSV: the detected encoding, once a worker opened the file'),
      delimiter: z.string().nullable().describe('CSV: the detected delimiter'),
      sheet: z.string().nullable().describe('Workbooks: the sheet read'),
      headers: z.array(z.string()).describe('The header row as read'),
      unknownColumns: z.array(z.string()).describe('Headers no column of the profile answers to'),
      mappingSource: mappingSourceSchema.nullable().describe('`null` until a worker opened the file'),
      purged: z.boolean().describe('The cleanup removed the stored file (a retry is refused)'),
    }),
    totals: z
      .object({ rows: count, created: count, updated: count, unchanged: count, skipped: count, failed: count, warnings: count })
      .describe('Rows by outcome, and warnings'),
    progress: z.object({
      processedRows: count,
      percent: z.number().min(0).max(100).describe('Of the file read, one decimal'),
      rowsPerSecond: z.number().nullable().describe('Of the current attempt; `null` until known'),
      etaSeconds: z.number().nullable(),
    }),
    attempts: count.describe("Deliveries of the import's job to a worker"),
    error: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why the import failed; `null` unless `failed`'),
    createdBy: z.string().nullable().describe('Who uploaded it'),
    createdAt: timestampSchema,
    startedAt: timestampSchema.nullable(),
    finishedAt: timestampSchema.nullable(),
    parentId: z
      .uuid()
      .nullable()
      .describe('The import whose failed rows this one re-submits (`POST /imports/:id/resubmit`); `null` for others'),
    resubmissions: z.array(resubmissionSchema).describe('The re-submissions of this import, oldest first'),
    webhookUrl: z.string().nullable().describe("The import's own webhook target, or `null`"),
    revert: revertViewSchema.nullable().describe('Its revert, once one was asked for (`POST /imports/:id/revert`)'),
  })
  .describe('An import: its file, options, status, progress and totals');
export type ImportView = z.infer<typeof importViewSchema>;

/** `GET /imports`. */
export const importsPageSchema = pageSchema(importViewSchema).describe('Imports, newest first');

/** `POST /imports/:id/retry` (202) and `POST /imports/:id/cancel` (200): the record after the action. */
export const importActionAnswerSchema = importViewSchema.describe('The import after the retry or cancel');

/** `GET /imports/:id/errors`: a page, optionally of one error group. */
export const rowErrorsQuerySchema = pageQuerySchema(1000, 100)
  .extend({
    column: z.string().min(1).max(200).optional().describe("Only the errors of this column (an error group's `column`)"),
    code: z.string().min(1).max(200).optional().describe("Only the errors of this code (an error group's `code`)"),
  })
  .describe('Page of the row errors, optionally of one column and code');
export type RowErrorsQuery = z.infer<typeof rowErrorsQuerySchema>;

/** One stored row error or warning. */
export const rowErrorSchema = z
  .object({
    row: z.number().int().describe('The spreadsheet row number'),
    level: z.enum(ROW_ERROR_LEVELS).describe('`error`: the row failed; `warning`: it did not'),
    column: z.string().nullable().describe('The canonical column, or `null`'),
    code: z.string(),
    message: z.string(),
    value: z.string().nullable().describe('The offending value as read (cut at 1,000 characters); `null` when there is none'),
  })
  .describe('A row error or warning');
export type RowError = z.infer<typeof rowErrorSchema>;

/** `GET /imports/:id/errors`. */
export const rowErrorsPageSchema = pageSchema(rowErrorSchema).describe('Row errors and warnings, in row order');
