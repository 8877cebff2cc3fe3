/**
 * Fault injection on the engine's connection pool: a query of a given name (the engine names its bulk
 * statements, e.g. the one that writes a chunk) can be made to fail, or to wait at a gate the test opens. Everything
 * else goes to the real PostgreSQL.
 */
import type { Pool, PoolClient } from '@importer/db';

/** Called before each query with its name (or text) and its values; throws to fail it, awaits to hold it. */
export type QueryHook = (name: string, values: readonly unknown[]) => Promise<void> | void;

const nameOf = (query: unknown): string =>
  typeof query === 'string' ? query : String((query as { name?: string; text?: string }).name ?? (query as { text?: string }).text ?? '');

function hookClient(client: PoolClient, hook: QueryHook): PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query') {
        return async (query: unknown, ...rest: unknown[]) => {
          const values = (query as { values?: unknown[] })?.values ?? (Array.isArray(rest[0]) ? (rest[0] as unknown[]) : []);
          await hook(nameOf(query), values);
          return (target.query as (...args: unknown[]) => unknown)(query, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A pool whose checked-out clients (the engine writes chunks on one) call `hook` before each query. */
export function hookedPool(pool: Pool, hook: QueryHook): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'connect') return async () => hookClient(await target.connect(), hook);
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A promise the test resolves when it chooses. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
