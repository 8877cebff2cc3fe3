import type { Queryable } from '../pool';

/** A request's claim on an Idempotency-Key (docs/api.md, "Idempotency-Key"). */
export interface IdempotencyClaim {
  /** Who is calling (an API token or a user): the same key of two callers is two keys. */
  scope: string;
  /** The header's value, 1 to 255 characters. */
  key: string;
  /** SHA-256 (hex) of what the request asks for: the same key with another fingerprint is refused. */
  fingerprint: string;
}

/** The first answer to a request, replayed to its repeats: HTTP status and JSON body. */
export interface StoredAnswer {
  statusCode: number;
  body: unknown;
}

/** How long an answer is kept (and replayed). */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * Takes the key's transaction-scoped advisory lock, without waiting: false when another transaction holds it
 * (the first request with this key is still running). Released at COMMIT or ROLLBACK.
 */
export async function tryIdempotencyLock(db: Queryable, claim: IdempotencyClaim): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>({
    name: 'idempotency_lock',
    text: `SELECT pg_try_advisory_xact_lock(hashtextextended('importer:idempotency' || chr(31) || $1 || chr(31) || $2, 0)) AS "locked"`,
    values: [claim.scope, claim.key],
  });
  return rows[0]?.locked === true;
}

/** The stored answer of this caller's key, unless it expired. */
export async function findIdempotentAnswer(
  db: Queryable,
  claim: IdempotencyClaim,
): Promise<(StoredAnswer & { fingerprint: string }) | null> {
  const { rows } = await db.query<StoredAnswer & { fingerprint: string }>({
    name: 'idempotency_find',
    text: `SELECT "fingerprint", "status_code" AS "statusCode", "answer" AS "body" FROM "idempotency_keys"
           WHERE "scope" = $1 AND "key" = $2 AND "expires_at" > now()`,
    values: [claim.scope, claim.key],
  });
  return rows[0] ?? null;
}

/**
 * Stores the answer of the request that claimed the key, in the transaction of what it wrote (an expired
 * answer of the same key is replaced: the lock taken first makes this the only writer of the key).
 */
export async function storeIdempotentAnswer(
  db: Queryable,
  claim: IdempotencyClaim,
  answer: StoredAnswer,
  importId: string | null,
): Promise<void> {
  await db.query({
    name: 'idempotency_store',
    text: `INSERT INTO "idempotency_keys" ("scope", "key", "fingerprint", "status_code", "answer", "import_id", "expires_at")
           VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
           ON CONFLICT ("scope", "key") DO UPDATE SET
             "fingerprint" = EXCLUDED."fingerprint", "status_code" = EXCLUDED."status_code", "answer" = EXCLUDED."answer",
             "import_id" = EXCLUDED."import_id", "created_at" = now(), "expires_at" = EXCLUDED."expires_at"
           WHERE "idempotency_keys"."expires_at" <= now()`,
    values: [claim.scope, claim.key, claim.fingerprint, answer.statusCode, JSON.stringify(answer.body), importId, IDEMPOTENCY_TTL_HOURS],
  });
}
