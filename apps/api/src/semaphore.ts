/**
 * At most `concurrency` holders at once, and at most `queue` more waiting their turn (first come, first
 * served). Bounds work that is costly per request, such as password hashing on libuv's small thread pool.
 */
export function createSemaphore(concurrency: number, queue: number) {
  let holders = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else holders--;
  };
  return {
    /** A promise of the release function once a place is free; null at once when the queue is full too. */
    acquire(): Promise<() => void> | null {
      if (holders < concurrency) {
        holders++;
        return Promise.resolve(once(release));
      }
      if (waiting.length >= queue) return null;
      return new Promise((resolve) => waiting.push(() => resolve(once(release))));
    },
  };
}

export type Semaphore = ReturnType<typeof createSemaphore>;

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
