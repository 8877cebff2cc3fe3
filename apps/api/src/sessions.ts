/**
 * Admin UI sessions: express-session with its rows in PostgreSQL (so the UI keeps working while Redis is
 * down), and CSRF protection (csrf-csrf's signed double-submit token, bound to the session id) for every
 * state-changing request a session makes. Bearer-token requests carry no cookie and need no CSRF token.
 */
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import { doubleCsrf } from 'csrf-csrf';
import type { SessionsRepository, UsersRepository } from '@importer/db';
import { HttpError } from './errors';

declare module 'express-session' {
  interface SessionData {
    userId: string;
  }
}

const SESSION_COOKIE = 'importer.sid';
/** Readable by scripts (the UI and Bull Board's axios send it back as a header); useless without the session. */
const CSRF_COOKIE = 'XSRF-TOKEN';

/** express-session's store on the `sessions` table. */
class PostgresSessionStore extends session.Store {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly ttlMs: number,
  ) {
    super();
  }

  private expiry(data: session.SessionData): Date {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires) : new Date(Date.now() + this.ttlMs);
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.sessions.get(sid).then((data) => callback(null, data as session.SessionData | null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.sessions.set(sid, data as unknown as Record<string, unknown>, this.expiry(data), data.userId ?? null).then(
      () => callback?.(),
      (error) => callback?.(error),
    );
  }

  override touch(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.sessions.touch(sid, this.expiry(data)).then(
      () => callback?.(),
      (error) => callback?.(error),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.destroy(sid).then(
      () => callback?.(),
      (error) => callback?.(error),
    );
  }
}

export interface SessionDeps {
  sessions: SessionsRepository;
  users: UsersRepository;
  /** Signs the session cookie and the CSRF tokens. */
  secret: string;
  /** Idle lifetime of a session. */
  ttlMs: number;
}

/** A random secret, for a process started without `SESSION_SECRET` (its sessions end with it). */
export const randomSecret = () => randomBytes(32).toString('base64url');

/** The session middleware, the CSRF check and helpers the routes share. */
export function createSessionLayer(deps: SessionDeps) {
  const middleware = session({
    name: SESSION_COOKIE,
    secret: deps.secret,
    store: new PostgresSessionStore(deps.sessions, deps.ttlMs),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    // Secure whenever the request came over TLS (directly or through a trusted proxy: `trust proxy`).
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/', maxAge: deps.ttlMs },
  });

  const csrf = doubleCsrf({
    getSecret: () => deps.secret,
    getSessionIdentifier: (req) => req.sessionID ?? '',
    cookieName: CSRF_COOKIE,
    cookieOptions: { httpOnly: false, sameSite: 'lax', path: '/', secure: false },
    // The admin UI sends X-CSRF-Token; Bull Board's axios sends X-XSRF-Token from the cookie above.
    getCsrfTokenFromRequest: (req) => req.get('x-csrf-token') ?? req.get('x-xsrf-token'),
  });

  return {
    middleware,

    /** The CSRF token of this session (reused while valid), also set as the `XSRF-TOKEN` cookie. */
    csrfToken(req: Request, res: Parameters<RequestHandler>[1], options: { overwrite?: boolean } = {}): string {
      return csrf.generateCsrfToken(req, res, { overwrite: options.overwrite ?? false, cookieOptions: { secure: req.secure } });
    },

    /** Refuses a state-changing request made with the session cookie unless it carries the session's CSRF token. */
    requireCsrfToken: ((req, _res, next) => {
      const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
      if (safe || req.authenticatedBy !== 'session' || csrf.validateRequest(req)) return next();
      throw new HttpError(
        403,
        'invalid_csrf_token',
        "This request needs the session's CSRF token in the X-CSRF-Token header; reload the page and try again.",
      );
    }) as RequestHandler,

    /** Starts a fresh session for the user (a new id: no session fixation). */
    logIn(req: Request, userId: string): Promise<void> {
      return new Promise((resolve, reject) => {
        req.session.regenerate((error?: Error) => {
          if (error) return reject(error);
          req.session.userId = userId;
          req.session.save((saveError?: Error) => (saveError ? reject(saveError) : resolve()));
        });
      });
    },

    logOut(req: Request, res: Parameters<RequestHandler>[1]): Promise<void> {
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.clearCookie(CSRF_COOKIE, { path: '/' });
      return new Promise((resolve, reject) => req.session.destroy((error?: Error) => (error ? reject(error) : resolve())));
    },

    /** Drops sessions that expired (called at each log-in, so the table stays small without a timer). */
    pruneExpired: () => deps.sessions.pruneExpired(),
  };
}

export type SessionLayer = ReturnType<typeof createSessionLayer>;
