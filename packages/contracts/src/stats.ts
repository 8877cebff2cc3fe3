import { z } from 'zod';
import { timestampSchema } from './common';

const count = z.number().int().nonnegative();

/** Rows by outcome, and imports finished and failed, over one window (by creation time). */
export const statsWindowSchema = z
  .object({
    imports: count,
    rows: z.object({ total: count, created: count, updated: count, unchanged: count, skipped: count, failed: count }),
    finishedImports: count.describe('`completed`, `completed_with_errors` and `failed` ones (a cancelled import is neither)'),
    failedImports: count,
    failureRate: z.number().min(0).max(1).nullable().describe('failed / finished; `null` when none finished'),
  })
  .describe('Figures over one window');
export type StatsWindow = z.infer<typeof statsWindowSchema>;

/** `GET /stats`: the dashboard figures. */
export const statsSchema = z
  .object({
    generatedAt: timestampSchema,
    imports: z.object({
      total: count,
      byStatus: z.record(z.string(), count).describe('Imports per status (statuses with none are absent)'),
      byProfile: z.record(z.string(), count).describe('Imports per profile'),
    }),
    last24h: statsWindowSchema,
    last30d: statsWindowSchema,
  })
  .describe('Dashboard figures');
export type ImportStats = z.infer<typeof statsSchema>;
