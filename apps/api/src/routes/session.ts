import { Router, type RequestHandler } from 'express';
import { logInBodySchema, type SessionInfo } from '@importer/contracts';
import type { UsersRepository } from '@importer/db';
import { badRequest, HttpError } from '../errors';
import type { ProgressStreams } from '../progress-streams';
import type { Semaphore } from '../semaphore';
import type { SessionLayer } from '../sessions';
import { parseOr } from '../validation';

/** Seconds a log-in refused for want of a password-check slot is told to wait. */
const BUSY_RETRY_SECONDS = 1;

/**
 * `POST /session`: logs in with e-mail and password (JSON only: a cross-site form cannot send it). The
 * password check (scrypt) runs under `hashing`: past its slots and queue the answer is 503 with Retry-After.
 */
export function logInRoute(deps: { users: UsersRepository; sessions: SessionLayer; limits: RequestHandler[]; hashing: Semaphore }): Router {
  const router = Router();
  router.post('/session', ...deps.limits, async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the e-mail and password as JSON: {"email": "…", "password": "…"}.');
    }
    const credentials = parseOr(logInBodySchema, req.body, () =>
      badRequest('invalid_credentials_body', 'Send {"email": "…", "password": "…"}.'),
    );
    const slot = deps.hashing.acquire();
    if (!slot) {
      res.set('Retry-After', String(BUSY_RETRY_SECONDS));
      throw new HttpError(503, 'login_busy', 'Too many log-ins are being checked right now; try again in a moment.', {
        retryAfterSeconds: BUSY_RETRY_SECONDS,
      });
    }
    const release = await slot;
    const user = await deps.users.verify(credentials.email, credentials.password).finally(release);
    if (!user) throw new HttpError(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');
    await deps.sessions.logIn(req, user.id);
    await deps.sessions.pruneExpired().catch(() => undefined);
    const body: SessionInfo = {
      principal: { id: user.id, name: user.email, role: user.role },
      authenticatedBy: 'session',
      csrfToken: deps.sessions.csrfToken(req, res, { overwrite: true }),
    };
    res.json(body);
  });
  return router;
}

/**
 * `GET /session`: who is calling (and the session's CSRF token); `DELETE /session`: logs out, closing the
 * session's progress streams.
 */
export function sessionRouter(deps: { sessions: SessionLayer; streams: Pick<ProgressStreams, 'endAccess'> }): Router {
  const router = Router();
  router.get('/', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({
      principal: req.principal,
      authenticatedBy: req.authenticatedBy,
      csrfToken: req.authenticatedBy === 'session' ? deps.sessions.csrfToken(req, res) : null,
    });
  });
  router.delete('/', async (req, res) => {
    if (req.authenticatedBy !== 'session') throw badRequest('no_session', 'This request is authenticated by a token, not a session.');
    const sid = req.sessionID;
    await deps.sessions.logOut(req, res);
    deps.streams.endAccess({ sid });
    res.status(204).end();
  });
  return router;
}
