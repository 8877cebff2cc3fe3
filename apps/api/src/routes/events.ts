import { Router } from 'express';
import type { Logger } from 'pino';
import { FINISHED_STATUSES, type ImportsRepository, type ImportView } from '@importer/db';
import type { ProgressSubscriber } from '@importer/queue';
import { notFound } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EventsDeps {
  imports: ImportsRepository;
  logger: Logger;
  /** Wakes the stream when a worker commits a chunk; without it the stream only polls. */
  progress?: ProgressSubscriber;
  /** Re-reads the record this often anyway: status changes made elsewhere (cancel, a failed attempt). */
  pollMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

/**
 * `GET /imports/:id/events`: Server-Sent Events. Each `import` event carries the import record (status,
 * progress with processed rows, rows/s and ETA, totals, dialect) whenever it changed; once the import is
 * finished an `end` event follows and the stream closes (a retry starts a new stream).
 */
export function importEventsRouter(deps: EventsDeps): Router {
  const pollMs = deps.pollMs ?? 2_000;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const router = Router();

  router.get('/:id/events', async (req, res) => {
    const { id } = req.params;
    const first = UUID.test(id) ? await deps.imports.find(id) : null;
    if (!first) throw notFound(`Import ${id}`);

    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');

    let ended = false;
    let last = '';
    let reading = false;
    let again = false;
    const send = (view: ImportView) => {
      const data = JSON.stringify(view);
      if (data === last) return;
      last = data;
      res.write(`event: import\ndata: ${data}\n\n`);
      if (FINISHED_STATUSES.includes(view.status)) {
        res.write('event: end\ndata: {}\n\n');
        end();
      }
    };
    // One read at a time; messages arriving meanwhile collapse into one more read.
    const refresh = async () => {
      if (ended) return;
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const view = await deps.imports.find(id);
          if (!view) return end();
          if (!ended) send(view);
        } while (again && !ended);
      } catch (error) {
        deps.logger.warn({ err: error, importId: id }, 'progress stream: reading the import failed');
      } finally {
        reading = false;
      }
    };
    const unwatch = deps.progress?.watch(id, { changed: () => void refresh(), closed: () => end() });
    const poll = setInterval(() => void refresh(), pollMs);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    function end() {
      if (ended) return;
      ended = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      unwatch?.();
      res.end();
    }
    res.on('close', end);
    send(first);
  });
  return router;
}
