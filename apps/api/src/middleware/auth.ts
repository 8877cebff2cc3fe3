import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiTokensRepository, Principal, Role } from '@importer/db';
import { HttpError } from '../errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export interface AuthDeps {
  tokens: ApiTokensRepository;
  /** `IMPORTER_BOOTSTRAP_TOKEN`: accepted as an admin token when set. */
  bootstrapToken?: string;
}

/** Requires `Authorization: Bearer <token>`: an API token (stored hashed) or the bootstrap token. */
export function authenticate({ tokens, bootstrapToken }: AuthDeps): RequestHandler {
  const bootstrap = bootstrapToken ? digest(bootstrapToken) : null;
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthenticated', 'Authentication required: send Authorization: Bearer <token>.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    if (!token) throw new HttpError(401, 'invalid_token', 'The Authorization header must be "Bearer <token>".');
    if (bootstrap && timingSafeEqual(digest(token), bootstrap)) {
      req.principal = { id: 'bootstrap', name: 'bootstrap', role: 'admin' };
      return next();
    }
    const principal = await tokens.authenticate(token);
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'invalid_token', 'The token is unknown or revoked.');
    }
    req.principal = principal;
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
