/**
 * Live progress between processes: a worker publishes an import's id on Redis after each committed chunk
 * (and when it finishes); each API process holds one subscription and wakes the Server-Sent Events streams
 * watching that import, which then read the record from PostgreSQL. The message carries only the id:
 * PostgreSQL stays the source of truth, and a lost message costs only a little latency (the streams also
 * re-read the record every few seconds). On a Redis Cluster, a PUBLISH reaches the subscribers of every node.
 */
import type { RedisConnection } from './catalog';

/** The Pub/Sub channel of one queue prefix, so that tests (one prefix each) never hear each other. */
export const progressChannel = (prefix: string) => `${prefix}:import-progress`;

export interface ProgressPublisher {
  /** Fire and forget: progress is advisory and must never fail or slow an import. */
  publish(importId: string): void;
}

export function createProgressPublisher(redis: RedisConnection, prefix: string): ProgressPublisher {
  const channel = progressChannel(prefix);
  return {
    publish(importId) {
      redis.publish(channel, importId).catch(() => undefined);
    },
  };
}

export interface ProgressListener {
  /** The import moved: re-read it. */
  changed(): void;
  /** The subscriber is closing (process shutdown): end the stream. */
  closed(): void;
}

export interface ProgressSubscriber {
  /** Listens for one import; returns the function that stops listening. */
  watch(importId: string, listener: ProgressListener): () => void;
  /** Streams currently watching (all imports). */
  watching(): number;
  /** Tells every listener to close, then ends the subscription. */
  close(): Promise<void>;
}

/**
 * Subscribes `redis` (a connection of its own: a subscribed connection can run nothing else) to the
 * progress channel and fans messages out to the listeners of each import.
 */
export function createProgressSubscriber(redis: RedisConnection, prefix: string): ProgressSubscriber {
  const channel = progressChannel(prefix);
  const listeners = new Map<string, Set<ProgressListener>>();
  let closing = false;
  // ioredis re-subscribes by itself after a reconnection.
  redis.subscribe(channel).catch(() => undefined);
  redis.on('message', (from: string, importId: string) => {
    if (from !== channel) return;
    for (const listener of listeners.get(importId) ?? []) listener.changed();
  });

  return {
    watch(importId, listener) {
      if (closing) {
        queueMicrotask(() => listener.closed());
        return () => undefined;
      }
      let set = listeners.get(importId);
      if (!set) listeners.set(importId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(importId) === set) listeners.delete(importId);
      };
    },
    watching() {
      let count = 0;
      for (const set of listeners.values()) count += set.size;
      return count;
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const set of [...listeners.values()]) for (const listener of [...set]) listener.closed();
      listeners.clear();
      await redis.unsubscribe(channel).catch(() => undefined);
      redis.disconnect();
    },
  };
}
