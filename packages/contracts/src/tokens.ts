import { z } from 'zod';
import { timestampSchema } from './common';
import { roleSchema } from './session';

/** An API token as `GET /tokens` lists it: never the token or its hash. */
export const apiTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema,
    createdAt: timestampSchema,
    lastUsedAt: timestampSchema.nullable().describe('Recorded at most once a minute'),
    revokedAt: timestampSchema.nullable(),
  })
  .describe('An API token, without its secret');
export type ApiToken = z.infer<typeof apiTokenSchema>;

/** `GET /tokens`: every token, newest first (not paginated). */
export const apiTokenListSchema = z.object({ items: z.array(apiTokenSchema) }).describe('Every API token, newest first');
export type ApiTokenList = z.infer<typeof apiTokenListSchema>;

/** `POST /tokens`. */
export const newApiTokenSchema = z.object({ name: z.string().trim().min(1).max(100), role: roleSchema }).describe('The token to create');
export type NewApiToken = z.infer<typeof newApiTokenSchema>;

/** The answer of `POST /tokens` (201): the token, with its secret shown this once. */
export const createdApiTokenSchema = apiTokenSchema
  .extend({ token: z.string().describe('`imp_…`: shown once, stored only as a hash') })
  .describe('The created token, with its secret');
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;
