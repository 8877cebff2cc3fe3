import { Router, type Request } from 'express';
import type { ImportsRepository } from '@importer/db';
import { notFound } from '../errors';
import { idParam } from '../id-param';
import { BOOTSTRAP_PRINCIPAL_ID } from '../middleware/auth';
import type { ProgressStreams, StreamAccess } from '../progress-streams';

/** What the request's access rests on (set by `authenticate`). */
function accessOf(req: Request): StreamAccess {
  if (req.authenticatedBy === 'session') return { kind: 'session', sid: req.sessionID };
  const id = req.principal?.id ?? '';
  return id === BOOTSTRAP_PRINCIPAL_ID ? { kind: 'bootstrap' } : { kind: 'token', tokenId: id };
}

/**
 * `GET /imports/:id/events`: Server-Sent Events. Each `import` event carries the import record (status,
 * progress with processed rows, rows/s and ETA, totals, dialect) whenever it changed; once the import is
 * finished an `end` event follows and the stream closes (a retry starts a new stream). See
 * progress-streams.ts for the caps, the maximum lifetime and the access re-checks.
 */
export function importEventsRouter(deps: { imports: ImportsRepository; streams: ProgressStreams }): Router {
  const router = Router();
  router.get('/:id/events', async (req, res) => {
    const id = idParam(req, 'Import');
    const first = await deps.imports.find(id);
    if (!first) throw notFound(`Import ${id}`);
    deps.streams.open({ first, owner: req.principal?.id ?? '', access: accessOf(req), res });
  });
  return router;
}
