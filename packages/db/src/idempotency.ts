import type { Pool, PoolClient } from './pool';
import {
  findIdempotentAnswer,
  storeIdempotentAnswer,
  tryIdempotencyLock,
  type IdempotencyClaim,
  type StoredAnswer,
} from './sql/idempotency-keys';

/**
 * What became of a request that may carry an Idempotency-Key: `done` (its work committed, with the answer
 * stored under the key), or, without any write: `replay` (the key's first answer, same body), `in_progress`
 * (the first request with the key is still running), `key_reused` (the key's first request had another
 * body).
 */
export type Idempotent<T> =
  { outcome: 'done'; value: T } | { outcome: 'replay'; answer: StoredAnswer } | { outcome: 'in_progress' } | { outcome: 'key_reused' };

/** What a request's work gives back: its value, the answer to store under the key, and the import it recorded. */
export interface IdempotentWork<T> {
  value: T;
  answer: StoredAnswer;
  importId: string | null;
}

/**
 * Runs `work` in one transaction with the request's Idempotency-Key (docs/api.md, "Idempotency-Key"): the
 * key's advisory lock first (taken, or `in_progress`), then its stored answer (`replay` or `key_reused`),
 * else the work, whose answer is stored in the same transaction as what it wrote, so that a request either
 * committed both or neither. Without a claim, simply the work in a transaction.
 */
export async function runIdempotent<T>(
  pool: Pool,
  claim: IdempotencyClaim | null,
  work: (tx: PoolClient) => Promise<IdempotentWork<T>>,
): Promise<Idempotent<T>> {
  const tx = await pool.connect();
  let broken: Error | undefined;
  try {
    try {
      await tx.query('BEGIN');
      if (claim) {
        const settled = await settledByKey<T>(tx, claim);
        if (settled) {
          await tx.query('ROLLBACK');
          return settled;
        }
      }
      const done = await work(tx);
      if (claim) await storeIdempotentAnswer(tx, claim, done.answer, done.importId);
      await tx.query('COMMIT');
      return { outcome: 'done', value: done.value };
    } catch (error) {
      await tx.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
      throw error;
    }
  } finally {
    tx.release(broken);
  }
}

/** The outcome the key decides alone (the request then writes nothing), or null: the request runs. */
async function settledByKey<T>(tx: PoolClient, claim: IdempotencyClaim): Promise<Exclude<Idempotent<T>, { outcome: 'done' }> | null> {
  if (!(await tryIdempotencyLock(tx, claim))) return { outcome: 'in_progress' };
  const stored = await findIdempotentAnswer(tx, claim);
  if (!stored) return null;
  if (stored.fingerprint !== claim.fingerprint) return { outcome: 'key_reused' };
  return { outcome: 'replay', answer: { statusCode: stored.statusCode, body: stored.body } };
}
