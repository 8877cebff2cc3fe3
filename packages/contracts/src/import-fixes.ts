import { z } from 'zod';
import { ROW_ERROR_LEVELS } from './enums';
import { IMPORT_STATUSES } from './import-status';

/**
 * Fixing an import's rejected rows (docs/api.md, "GET /imports/:id/error-groups" and "POST /imports/:id/resubmit"):
 * its row errors grouped by what is wrong, and the re-submissions of a corrected file.
 */

const count = z.number().int().nonnegative();

/** One kind of problem of an import: the row errors (or warnings) of one column and code. */
export const errorGroupSchema = z
  .object({
    level: z.enum(ROW_ERROR_LEVELS).describe('`error`: the rows failed; `warning`: they did not'),
    column: z.string().nullable().describe('The canonical column, or `null` for a problem of the whole row (`duplicate_key`)'),
    code: z.string().describe('The row error code, e.g. `invalid_siren`'),
    message: z.string().describe('The message of the first row of the group'),
    count: count.describe('Rows in the group (a row has at most one error of a column and code)'),
    rows: z.array(z.number().int()).max(5).describe('The first 5 row numbers of the group, in order'),
    values: z
      .array(z.string())
      .max(5)
      .describe(
        'Up to 5 distinct offending values, the most frequent among the first 1,000 rows of the group first (blank cells have none)',
      ),
  })
  .describe('Row errors of one column and code');
export type ErrorGroup = z.infer<typeof errorGroupSchema>;

/** `GET /imports/:id/error-groups`. */
export const errorGroupsSchema = z
  .object({ items: z.array(errorGroupSchema).describe('Largest group first, then by first row') })
  .describe("The import's row errors and warnings grouped by column and code");
export type ErrorGroups = z.infer<typeof errorGroupsSchema>;

/** A re-submission as its parent import shows it. */
export const resubmissionSchema = z
  .object({
    id: z.uuid().describe('The re-submission (an import of its own)'),
    status: z.enum(IMPORT_STATUSES),
    fixed: count.describe('Rows of the re-submission that did not fail (so far, while it runs)'),
    stillFailing: count.describe('Rows of the re-submission that failed again'),
  })
  .describe('An import that re-submitted corrected rows of this one');
export type Resubmission = z.infer<typeof resubmissionSchema>;
