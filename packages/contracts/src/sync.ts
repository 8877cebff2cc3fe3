import { z } from 'zod';
import { writeModeSchema } from './imports';

/** One value of a sync row: what a JSON cell may be (a nested object or array is refused with 400). */
const syncValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]).describe('A cell: text, number, boolean or null (blank)');

/** `POST /sync/:profile` (docs/api.md, "Sync"): a batch of rows, at most `SYNC_MAX_ROWS`. */
export const syncRequestSchema = z
  .object({
    rows: z
      .array(
        z
          .record(z.string(), syncValueSchema)
          .describe("A row: keys are the profile's column names or aliases, matched as a file's headers are"),
      )
      .min(1)
      .describe('The rows, at most `SYNC_MAX_ROWS` (default 1,000); an error names a row by its 0-based index here'),
    mode: writeModeSchema.default('upsert'),
    dryRun: z.boolean().default(false).describe('Validate and look up everything, report what would change, write nothing'),
  })
  .strict()
  .describe('A batch of rows to write at once');
export type SyncRequest = z.infer<typeof syncRequestSchema>;

/** `Idempotency-Key` (docs/api.md, "Idempotency-Key"), on `POST /sync/:profile` and `POST /imports`. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .describe('Any text of 1 to 255 characters, chosen by the caller; scoped to the calling token or user, kept 24 h');

export const SYNC_STATUSES = ['success', 'partial_success', 'failed'] as const;

const count = z.number().int().nonnegative();

/** A row of the batch that failed: its error (a row may have several, one per column). */
export const syncRowErrorSchema = z
  .object({
    index: count.describe("The row's 0-based position in `rows`"),
    column: z.string().nullable().describe('The canonical column, or `null` for the whole row'),
    code: z.string().describe('Stable, for programs: e.g. `required`, `invalid_siren`, `unknown_category`'),
    message: z.string(),
  })
  .describe('A row error of a sync batch');

/** `200` of `POST /sync/:profile`: what became of each row. */
export const syncAnswerSchema = z
  .object({
    status: z.enum(SYNC_STATUSES).describe('`success`: no row failed; `failed`: every row failed; `partial_success`: some did'),
    importId: z.uuid().describe('The import that records this batch (`source: "sync"`): `GET /imports/:id`'),
    created: count,
    updated: count,
    unchanged: count.describe('Identical to what is stored (in `insert_only` mode an existing key counts as skipped)'),
    skipped: count.describe(
      'Left out: an earlier row of the batch with the same key as a later one, or an existing key in `insert_only` mode',
    ),
    failed: count,
    errors: z.array(syncRowErrorSchema).describe('Every error of every failed row, by index; warnings are in `GET /imports/:id/errors`'),
  })
  .describe('What a sync batch wrote, row by row');
export type SyncAnswer = z.infer<typeof syncAnswerSchema>;
export type SyncRowError = z.infer<typeof syncRowErrorSchema>;
