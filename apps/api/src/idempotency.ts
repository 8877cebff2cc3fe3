import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { idempotencyKeySchema } from '@importer/contracts';
import type { IdempotencyClaim, Idempotent } from '@importer/db';
import { badRequest, HttpError } from './errors';

/** JSON with every object's keys sorted, so that the same content always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's claim on its `Idempotency-Key` header (docs/api.md, "Idempotency-Key"), or null without
 * one: scoped to the calling token or user; `what` is what the request asks for (its body as parsed, or an
 * upload's fields and file hash), fingerprinted as the SHA-256 of its canonical JSON. A key longer than 255
 * characters (or blank) is `400 invalid_idempotency_key`.
 */
export function idempotencyClaim(req: Request, what: () => unknown): IdempotencyClaim | null {
  const header = req.get('idempotency-key');
  if (header === undefined) return null;
  const key = idempotencyKeySchema.safeParse(header);
  if (!key.success) {
    throw badRequest('invalid_idempotency_key', 'The Idempotency-Key header must hold 1 to 255 characters.', {
      length: header.length,
    });
  }
  const principal = req.principal;
  if (!principal) throw new HttpError(401, 'unauthenticated', 'Authentication required: send Authorization: Bearer <token>.');
  return {
    scope: `${req.authenticatedBy ?? 'bearer'}:${principal.id}`,
    key: key.data,
    fingerprint: createHash('sha256').update(canonicalJson(what())).digest('hex'),
  };
}

/**
 * Answers a request that ran with `runIdempotent`: `done` by `send`; a replay with the first answer's status
 * and body and `Idempotent-Replayed: true`; the others as errors (`409 idempotency_key_in_progress`,
 * `422 idempotency_key_reused`). Returns whether the request's own work was done (false: it wrote nothing).
 */
export function answerIdempotent<T>(res: Response, outcome: Idempotent<T>, send: (value: T) => void): boolean {
  switch (outcome.outcome) {
    case 'done':
      send(outcome.value);
      return true;
    case 'replay':
      res.status(outcome.answer.statusCode).set('Idempotent-Replayed', 'true').json(outcome.answer.body);
      return false;
    case 'in_progress':
      throw new HttpError(
        409,
        'idempotency_key_in_progress',
        'A request with this Idempotency-Key is still running; repeat this one once it has answered.',
      );
    case 'key_reused':
      throw new HttpError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was used for a request with another body; send a new key for a different request.',
      );
  }
}
