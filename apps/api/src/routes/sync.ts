import express, { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { syncRequestSchema } from '@importer/contracts';
import type { Pool } from '@importer/db';
import type { FinishedStatus, Metrics } from '@importer/metrics';
import { BadSyncBatchError, runSync } from '@importer/imports';
import { badRequest, HttpError } from '../errors';
import { answerIdempotent, idempotencyClaim } from '../idempotency';
import { knownProfile } from '../profile-field';
import { requireRole } from '../middleware/auth';
import { listIssues, parseOr } from '../validation';

export interface SyncRouteDeps {
  pool: Pool;
  logger: Logger;
  limits: { maxCellChars: number; maxStoredErrors: number };
  /** `SYNC_MAX_ROWS`: rows one request may carry. */
  maxRows: number;
  /** `SYNC_MAX_BODY_KB`, in bytes. */
  maxBodyBytes: number;
  /** Counts requests against `SYNC_REQUESTS_PER_MINUTE`. */
  rateLimit?: RequestHandler;
  /** Counts each batch written: the request, its rows by outcome, its import finished. */
  metrics?: Pick<Metrics, 'syncRequest' | 'chunkCommitted' | 'importFinished'>;
}

/**
 * `POST /sync/:profile` (docs/api.md, "Sync"): a batch of JSON rows written at once, answered with what
 * became of each row. The caller's role and rate are checked before the body is read; the body has its own
 * size limit (`SYNC_MAX_BODY_KB`), so the API's general JSON parser leaves this route alone.
 */
export function syncRouter(deps: SyncRouteDeps): Router {
  const router = Router();
  const rateLimit = deps.rateLimit ? [deps.rateLimit] : [];
  router.post('/:profile', requireRole('admin', 'operator'), ...rateLimit, express.json({ limit: deps.maxBodyBytes }), async (req, res) => {
    const profile = knownProfile(String(req.params.profile), 404);
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest('invalid_sync_request', 'Send a JSON object {"rows": [...]} with Content-Type: application/json.');
    }
    const rows = (body as { rows?: unknown }).rows;
    if (Array.isArray(rows) && rows.length > deps.maxRows) {
      throw new HttpError(
        413,
        'too_many_rows',
        `The batch has ${rows.length} rows; at most ${deps.maxRows} may be sent at once (SYNC_MAX_ROWS): split it.`,
        { rows: rows.length, limit: deps.maxRows },
      );
    }
    const request = parseOr(syncRequestSchema, body, (issues) =>
      badRequest('invalid_sync_request', `Invalid sync request: ${listIssues(issues)}`, issues),
    );
    const claim = idempotencyClaim(req, () => ({ profile: profile.name, ...request }));
    const started = performance.now();
    const outcome = await runSync(
      { pool: deps.pool, limits: deps.limits },
      { profile, ...request, createdBy: req.principal?.name ?? null, idempotency: claim },
    ).catch((error: unknown) => {
      throw error instanceof BadSyncBatchError ? badRequest(error.code, error.message, error.details) : error;
    });
    answerIdempotent(res, outcome, ({ answer, record }) => {
      // A batch is one chunk of an import that starts and finishes in its transaction; a replay counts nothing.
      deps.metrics?.syncRequest(profile.name, answer.status);
      deps.metrics?.chunkCommitted({
        profile: profile.name,
        dryRun: request.dryRun,
        rows: answer,
        seconds: (performance.now() - started) / 1000,
      });
      deps.metrics?.importFinished({
        profile: profile.name,
        status: record.status as FinishedStatus,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
      });
      res.status(200).json(answer);
    });
  });
  return router;
}
