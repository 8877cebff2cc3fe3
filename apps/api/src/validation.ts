import type { z } from 'zod';
import type { FieldIssue } from '@importer/contracts';
import { badRequest, type HttpError } from './errors';

/** What a schema refused, one entry per field: the `details` of the 400. */
const fieldIssues = (error: z.ZodError): FieldIssue[] =>
  error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));

/** The issues as one line of a message: `field: message; …`. */
export const listIssues = (issues: FieldIssue[]) => issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');

/** `input` as the contract's `schema` reads it, or the error `refuse` makes of what was wrong. */
export function parseOr<S extends z.ZodType>(schema: S, input: unknown, refuse: (issues: FieldIssue[]) => HttpError): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw refuse(fieldIssues(result.error));
  return result.data;
}

/** A query string by its contract; `400 invalid_query` naming each refused parameter. */
export const parseQuery = <S extends z.ZodType>(schema: S, query: unknown): z.output<S> =>
  parseOr(schema, query, (issues) => badRequest('invalid_query', `Invalid query: ${listIssues(issues)}`, issues));
