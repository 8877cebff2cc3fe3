/**
 * The SQL statements a piece of code sends, recorded on the pool it is given: for tests and the bench that
 * count statements (per chunk of an import, per batch of the cleanup).
 */
import type { Pool, PoolClient } from '@importer/db';

/** One statement sent to PostgreSQL. */
export interface SentStatement {
  /** Its SQL (a COPY is a stream object carrying its statement in `text`). */
  text: string;
  /** The name of a named (prepared) statement. */
  name: string | undefined;
  /** The rows it touched (pg's `rowCount`), once it has completed; unset for a stream or a statement that failed. */
  rowCount?: number | null;
}

type Query = (...args: unknown[]) => unknown;

/** Bound to the real object, so that the pool's and client's own state stays on them. */
function forward<T extends object>(target: T, property: string | symbol): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === 'function' ? (value as Query).bind(target) : value;
}

/**
 * A pool that appends to `sent`, in the order they are sent, the statements sent through it: on the pool
 * (`query`) and on every client it hands out (`connect`). Everything else goes to the real pool.
 */
export function recordingPool(pool: Pool, sent: SentStatement[]): Pool {
  const recording =
    (query: Query): Query =>
    (...args) => {
      const [first] = args;
      const statement: SentStatement =
        typeof first === 'string'
          ? { text: first, name: undefined }
          : { text: (first as { text?: string }).text ?? '', name: (first as { name?: string }).name };
      sent.push(statement);
      const result = query(...args);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<{ rowCount?: number | null } | undefined>).then(
          (done) => (statement.rowCount = done?.rowCount),
          () => undefined, // the caller sees the failure on the promise it holds
        );
      }
      return result;
    };
  const recordingClient = (client: PoolClient): PoolClient =>
    new Proxy(client, {
      get: (target, property) => (property === 'query' ? recording(target.query.bind(target)) : forward(target, property)),
    });
  return new Proxy(pool, {
    get: (target, property) => {
      // Called on the real pool: pg's Pool#query checks out through its own connect(), so each is recorded once.
      if (property === 'query') return recording(target.query.bind(target));
      if (property === 'connect') return async () => recordingClient(await target.connect());
      return forward(target, property);
    },
  });
}

/**
 * The statements of an import's chunk loop, cut into chunks: look-ups (`lookup_…`, on the pool), the chunk's
 * write (`write_chunk_…`, or a COPY), and, when a chunk needs a transaction, BEGIN, the undo statement
 * (`undo_superseded_…`) and COMMIT (on the connection the engine holds for the import). A chunk ends with
 * its write, or with the COMMIT (or ROLLBACK) after it. Other statements (the import's status, its
 * progress) are not counted.
 */
export function statementsPerChunk(sent: readonly SentStatement[]): number[] {
  const chunks: number[] = [];
  let current = 0;
  let inTransaction = false;
  for (const { text, name } of sent) {
    const statement = text.trim();
    if (statement === 'BEGIN') {
      inTransaction = true;
      current++;
    } else if (statement === 'COMMIT' || statement === 'ROLLBACK') {
      current++;
      if (inTransaction) {
        chunks.push(current);
        current = 0;
      }
      inTransaction = false;
    } else if ((name && /^(lookup_|undo_superseded_)/.test(name)) || statement.startsWith('COPY ')) {
      current++;
    } else if (name?.startsWith('write_chunk_')) {
      current++;
      if (!inTransaction) {
        chunks.push(current);
        current = 0;
      }
    }
  }
  return chunks;
}
