import { z } from 'zod';
import { timestampSchema } from './common';

const count = z.number().int().nonnegative();

/** Why rows a revert could not restore failed. */
const revertFailuresSchema = z
  .object({
    referenced: count.describe(
      'Rows the import created that other rows reference now (a category with subcategories, a subcategory with companies): kept',
    ),
    missing: count.describe('Rows whose before-image references a row deleted since: left as they are'),
  })
  .describe('The failed rows, by reason');

/** `POST /imports/:id/revert`: the body (optional). */
export const revertRequestSchema = z
  .object({
    dryRun: z.boolean().default(false).describe('Report what the revert would do, change nothing'),
  })
  .strict()
  .describe('Options of a revert');
export type RevertRequest = z.input<typeof revertRequestSchema>;

/**
 * An import's revert (docs/write-semantics.md, "Lineage and revert"): `null` on the import record until one is
 * asked for; while it runs, its progress; once it is done (`status: "reverted"`), its counts and end.
 */
export const revertViewSchema = z
  .object({
    reverted: count.describe('Rows created by the import and deleted, or updated by it and given back their values from before it'),
    kept: count.describe('Rows changed since by a later import or sync: left as they are'),
    failed: count.describe('Rows that could not be reverted (see `failures`)'),
    failures: revertFailuresSchema,
    rows: count.nullable().describe('Rows the revert goes through (each key the import created or updated); `null` until its job starts'),
    processedRows: count.describe('Of `rows`, done so far'),
    requestedBy: z.string().nullable().describe('Who asked for it'),
    startedAt: timestampSchema.nullable(),
    finishedAt: timestampSchema.nullable().describe('`null` while it runs'),
  })
  .describe('The revert of an import');
export type RevertView = z.infer<typeof revertViewSchema>;

/** `POST /imports/:id/revert` with `{"dryRun": true}` (200): what the revert would do now. */
export const revertPreviewSchema = z
  .object({
    dryRun: z.literal(true),
    reverted: count.describe('Rows the revert would delete or restore'),
    kept: count.describe('Rows changed since by a later import or sync: it would leave them'),
    failed: count,
    failures: revertFailuresSchema,
  })
  .describe('What a revert would do; nothing changed');
export type RevertPreview = z.infer<typeof revertPreviewSchema>;
