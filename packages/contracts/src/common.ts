import { z } from 'zod';

/** A point in time as the API writes it: ISO 8601 in UTC (`Date.prototype.toISOString`). */
export const timestampSchema = z.iso.datetime().describe('ISO 8601 date and time, UTC');

/** Every error answer (docs/api.md, "Errors"): a stable `code` for programs, a `message` for people. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable, for programs: e.g. `invalid_query`, `not_found`'),
      message: z.string().describe('For people: never a server path, a stack trace or SQL'),
      details: z.unknown().describe('`null`, or structured data named with each code'),
    }),
  })
  .describe('The body of every 4xx and 5xx answer');
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** `details` of `invalid_query`, `invalid_options` and `invalid_token_request`: one entry per refused field. */
export const fieldIssuesSchema = z
  .array(z.object({ field: z.string().describe('The field, dotted when nested'), message: z.string() }))
  .describe('What is wrong with each refused field');
export type FieldIssue = z.infer<typeof fieldIssuesSchema>[number];

/** One page of a keyset-paginated list (docs/api.md, "Pagination"). */
export const pageSchema = <Item extends z.ZodType>(item: Item) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass back as `cursor` for the next page; `null`: none'),
  });
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The query of a paginated route: `limit` (1 to `max`, default `fallback`) and the previous page's `cursor`. */
export const pageQuerySchema = (max: number, fallback: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(max).default(fallback).describe(`Page size, 1 to ${max}`),
    cursor: z.string().optional().describe("The previous page's `nextCursor`"),
  });
