/**
 * Revoked API tokens between processes. Each API process keeps a token's verification for a few seconds
 * (apps/api `token-cache.ts`); whoever revokes a token (`DELETE /tokens/:id`, `npm run cli -- token revoke`)
 * publishes its id here, and every API process drops it from its cache at once. The message carries only the
 * id: PostgreSQL stays the source of truth, and a lost message (Redis down) costs at most the cache's lifetime.
 */
import type { RedisConnection } from './catalog';

/** The Pub/Sub channel of one queue prefix, so that tests (one prefix each) never hear each other. */
export const tokenRevocationsChannel = (prefix: string) => `${prefix}:token-revoked`;

/** Tells every API process that a token is revoked; resolves false when Redis could not be told. */
export async function publishTokenRevoked(redis: RedisConnection, prefix: string, tokenId: string): Promise<boolean> {
  return redis.publish(tokenRevocationsChannel(prefix), tokenId).then(
    () => true,
    () => false,
  );
}

export interface TokenRevocations {
  /** Calls `listener` with the id of each token revoked by any process; returns the function that stops. */
  onRevoked(listener: (tokenId: string) => void): () => void;
}

/**
 * Subscribes `redis` to the revocations channel. `redis` is a subscribed connection, which can run nothing
 * else: the API shares the one its progress subscriber holds (`createProgressSubscriber`), which closes it.
 */
export function subscribeTokenRevocations(redis: RedisConnection, prefix: string): TokenRevocations {
  const channel = tokenRevocationsChannel(prefix);
  const listeners = new Set<(tokenId: string) => void>();
  // ioredis re-subscribes by itself after a reconnection.
  redis.subscribe(channel).catch(() => undefined);
  redis.on('message', (from: string, tokenId: string) => {
    if (from !== channel) return;
    for (const listener of [...listeners]) listener(tokenId);
  });
  return {
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
