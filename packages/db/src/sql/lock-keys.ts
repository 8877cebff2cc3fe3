import type { Queryable } from '../pool';
import { stagedInputCte } from './staging';
import { cachedSql, q, type UpsertTable } from './upsert';

/**
 * Locks the natural keys of a chunk's rows for the rest of the transaction, in one order (sorted), one
 * transaction-scoped advisory lock per key: two transactions writing overlapping keys then queue on the
 * first key they share instead of each holding a row the other waits for (a deadlock). Reads the staged
 * chunk with the write's own input parameters (`stagedInputCte`), so it locks exactly the keys the write
 * will touch.
 */
export async function lockKeys(db: Queryable, spec: UpsertTable, input: readonly string[]): Promise<void> {
  const name = `lock_keys_${spec.table}`;
  const key = spec.key.map((k) => `i.${q(k)}::text`).join(', ');
  const text = cachedSql(
    name,
    () => `WITH ${stagedInputCte(spec)}
      SELECT count(pg_advisory_xact_lock(hashtextextended(s."key", 0)))::int AS "locked"
      FROM (SELECT DISTINCT concat_ws(chr(31), '${spec.table}', ${key}) AS "key" FROM input i ORDER BY 1) s`,
  );
  await db.query({ name, text, values: [...input] });
}
