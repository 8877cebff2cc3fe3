import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { UsersRepository } from '@importer/db';
import { badRequest, HttpError } from '../errors';
import type { SessionLayer } from '../sessions';

const credentials = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });

/** `POST /session`: logs in with e-mail and password (JSON only: a cross-site form cannot send it). */
export function logInRoute(deps: { users: UsersRepository; sessions: SessionLayer; limit: RequestHandler }): Router {
  const router = Router();
  router.post('/session', deps.limit, async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the e-mail and password as JSON: {"email": "…", "password": "…"}.');
    }
    const parsed = credentials.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid_credentials_body', 'Send {"email": "…", "password": "…"}.');
    const user = await deps.users.verify(parsed.data.email, parsed.data.password);
    if (!user) throw new HttpError(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');
    await deps.sessions.logIn(req, user.id);
    await deps.sessions.pruneExpired().catch(() => undefined);
    res.json({
      principal: { id: user.id, name: user.email, role: user.role },
      authenticatedBy: 'session',
      csrfToken: deps.sessions.csrfToken(req, res, { overwrite: true }),
    });
  });
  return router;
}

/** `GET /session`: who is calling (and the session's CSRF token); `DELETE /session`: logs out. */
export function sessionRouter(deps: { sessions: SessionLayer }): Router {
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
    await deps.sessions.logOut(req, res);
    res.status(204).end();
  });
  return router;
}
