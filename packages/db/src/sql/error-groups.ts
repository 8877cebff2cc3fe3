import type { ErrorGroup } from '@importer/contracts';
import type { Queryable } from '../pool';

/**
 * Rows of each group whose values are counted for its most frequent ones: counting every distinct value of
 * 100,000 errors (`MAX_STORED_ERRORS`) takes seconds, the values that repeat show in the first rows.
 */
const VALUE_SAMPLE_ROWS = 1_000;

/**
 * An import's row errors and warnings grouped by code and column, in one aggregate statement: per group its
 * size, the message of its first row, its first 5 rows and its 5 most frequent values (among its first
 * `VALUE_SAMPLE_ROWS` rows). The window reads the errors through the (import_id, code, column, row, id)
 * index in group order, so numbering them sorts nothing; every array is capped before it is built, so a
 * group of 100,000 rows costs no more memory than one of 5. Largest group first, then the group whose first
 * row comes first.
 */
const ERROR_GROUPS_SQL = `
  WITH "errors" AS (
    SELECT "level", "code", "column", "row", "message", "value",
           row_number() OVER (PARTITION BY "code", "column" ORDER BY "row", "id") AS "nth"
    FROM "import_row_errors"
    WHERE "import_id" = $1
  ),
  "groups" AS (
    SELECT "code", "column",
           -- A code is always of one level; should it not be, the group counts as errors.
           CASE WHEN bool_or("level" = 'error') THEN 'error' ELSE 'warning' END AS "level",
           count(*)::int AS "count",
           min("message") FILTER (WHERE "nth" = 1) AS "message",
           array_agg("row" ORDER BY "nth") FILTER (WHERE "nth" <= 5) AS "rows",
           min("row") AS "first_row"
    FROM "errors"
    GROUP BY "code", "column"
  ),
  "value_ranks" AS (
    SELECT "code", "column", "value",
           row_number() OVER (PARTITION BY "code", "column" ORDER BY count(*) DESC, min("row")) AS "rank"
    FROM "errors"
    WHERE "value" IS NOT NULL AND "nth" <= ${VALUE_SAMPLE_ROWS}
    GROUP BY "code", "column", "value"
  ),
  "top_values" AS (
    SELECT "code", "column", array_agg("value" ORDER BY "rank") AS "values"
    FROM "value_ranks"
    WHERE "rank" <= 5
    GROUP BY "code", "column"
  )
  SELECT g."level", g."column", g."code", g."message", g."count", g."rows", coalesce(t."values", '{}') AS "values"
  FROM "groups" g
  LEFT JOIN "top_values" t ON t."code" = g."code" AND t."column" IS NOT DISTINCT FROM g."column"
  ORDER BY g."count" DESC, g."first_row", g."code", g."column" NULLS FIRST`;

/** The error groups of an import (`GET /imports/:id/error-groups`, docs/api.md); none for an import without errors. */
export async function importErrorGroups(db: Queryable, importId: string): Promise<ErrorGroup[]> {
  const { rows } = await db.query<ErrorGroup>({ name: 'import_error_groups', text: ERROR_GROUPS_SQL, values: [importId] });
  return rows;
}
