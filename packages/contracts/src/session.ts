import { z } from 'zod';
import { ROLES } from './enums';

export const roleSchema = z
  .enum(ROLES)
  .describe('`viewer` reads; `operator` also uploads, retries and cancels; `admin` also manages tokens');

/** Who is calling: a user (by e-mail), an API token (by name), or the bootstrap token. */
export const principalSchema = z
  .object({
    id: z.string().describe('User id, token id, or `bootstrap`'),
    name: z.string().describe("The user's e-mail or the token's name"),
    role: roleSchema,
  })
  .describe('Who is calling');
export type Principal = z.infer<typeof principalSchema>;

/** `POST /session`: the admin UI's log-in. */
export const logInBodySchema = z
  .object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) })
  .describe('E-mail and password of an admin UI account');
export type LogInBody = z.infer<typeof logInBodySchema>;

/** The answer of `POST /session` and `GET /session`. */
export const sessionSchema = z
  .object({
    principal: principalSchema,
    authenticatedBy: z.enum(['session', 'bearer']).describe('A session cookie or an `Authorization: Bearer` token'),
    csrfToken: z.string().nullable().describe('Send as `X-CSRF-Token` on state-changing session requests; `null` for bearer calls'),
  })
  .describe('Who is calling, and how');
export type SessionInfo = z.infer<typeof sessionSchema>;
