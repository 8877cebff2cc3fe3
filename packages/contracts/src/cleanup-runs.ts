import { z } from 'zod';
import { pageQuerySchema, pageSchema, timestampSchema } from './common';
import { CLEANUP_RUN_STATUSES, CLEANUP_TRIGGERS } from './enums';

const count = z.number().int().nonnegative();

export const cleanupCountsSchema = z
  .object({
    importsDeleted: count,
    rowErrorsDeleted: count,
    filesPurged: count,
    orphanFilesDeleted: count,
    jobsRemoved: count,
    lineageDeleted: count.describe('Lineage rows of imports older than RETAIN_LINEAGE_DAYS (they can no longer be reverted)'),
  })
  .describe('What a cleanup run removed');
export type CleanupCounts = z.infer<typeof cleanupCountsSchema>;

/** A run of the nightly cleanup (docs/cleanup.md). */
export const cleanupRunSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(CLEANUP_TRIGGERS),
    status: z.enum(CLEANUP_RUN_STATUSES).describe('`skipped`: another run held the lock'),
    startedAt: timestampSchema,
    finishedAt: timestampSchema.nullable(),
    importsBefore: timestampSchema.describe('Imports created before this were old'),
    filesBefore: timestampSchema.describe('Files uploaded before this were old'),
    counts: cleanupCountsSchema,
    error: z.string().nullable(),
  })
  .describe('A cleanup run');
export type CleanupRunView = z.infer<typeof cleanupRunSchema>;

/** `GET /cleanup-runs`: a page, newest first. */
export const cleanupRunsQuerySchema = pageQuerySchema(100, 20).describe('Page of the cleanup runs');
export const cleanupRunsPageSchema = pageSchema(cleanupRunSchema).describe('Cleanup runs, newest first');
