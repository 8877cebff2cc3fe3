import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Principal, Role } from '@importer/contracts';
import type { ApiTokensRepository, UsersRepository } from '@importer/db';
import { HttpError } from '../errors';
import type { TokenCache } from '../token-cache';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** How the principal was established: an `Authorization: Bearer` token or the admin UI's session cookie. */
    authenticatedBy?: 'bearer' | 'session';
  }
}

/** The principal id of the bootstrap token (`IMPORTER_BOOTSTRAP_TOKEN`), which no database row backs. */
export const BOOTSTRAP_PRINCIPAL_ID = 'bootstrap';

const digest = (value: string) => createHash('sha256').update(value).digest();

export interface AuthDeps {
  tokens: ApiTokensRepository;
  /** `IMPORTER_BOOTSTRAP_TOKEN`: accepted as an admin token when set. */
  bootstrapToken?: string;
  /** Resolves the admin UI's session (a request without an Authorization header); absent: bearer only. */
  users?: UsersRepository;
  /** Tokens verified recently (`token-cache.ts`); absent: every request looks its token up. */
  cache?: TokenCache;
}

/** The user of the request's session, when it has a live session whose user is still active. */
export async function sessionPrincipal(req: Request, users: UsersRepository): Promise<Principal | null> {
  const userId = req.session?.userId;
  if (!userId) return null;
  const user = await users.find(userId);
  return user ? { id: user.id, name: user.email, role: user.role } : null;
}

/**
 * Requires `Authorization: Bearer <token>` (an API token, stored hashed, or the bootstrap token) or, for
 * the admin UI, a session cookie. A request that sends an Authorization header is judged by it alone.
 */
export function authenticate({ tokens, bootstrapToken, users, cache }: AuthDeps): RequestHandler {
  const bootstrap = bootstrapToken ? digest(bootstrapToken) : null;
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header && users) {
      const principal = await sessionPrincipal(req, users);
      if (principal) {
        req.principal = principal;
        req.authenticatedBy = 'session';
        return next();
      }
    }
    if (!header) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthenticated', 'Authentication required: send Authorization: Bearer <token>.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    if (!token) throw new HttpError(401, 'invalid_token', 'The Authorization header must be "Bearer <token>".');
    const hash = digest(token);
    if (bootstrap && timingSafeEqual(hash, bootstrap)) {
      req.principal = { id: BOOTSTRAP_PRINCIPAL_ID, name: 'bootstrap', role: 'admin' };
      req.authenticatedBy = 'bearer';
      return next();
    }
    const lookUp = () => tokens.authenticate(token);
    const principal = cache ? await cache.verify(hash.toString('hex'), lookUp) : await lookUp();
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'invalid_token', 'The token is unknown or revoked.');
    }
    req.principal = principal;
    req.authenticatedBy = 'bearer';
    next();
  };
}

/** Allows the request only for the roles listed. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const role = req.principal?.role;
    if (!role || !roles.includes(role)) {
      throw new HttpError(403, 'forbidden', `This action needs the role ${roles.join(' or ')}.`);
    }
    next();
  };
}
