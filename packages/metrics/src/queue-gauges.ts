/**
 * The queue gauges' source: BullMQ read when Prometheus scrapes, at a bounded cost. Per queue and per
 * snapshot, one `getJobCounts` (one round trip whatever the queue holds) and the oldest waiting job (one
 * list index and one hash read). Snapshots are cached briefly and shared by concurrent scrapes, and a
 * queue that does not answer in time (Redis down) is left out of the scrape rather than holding it.
 */

/** What the gauges need of a BullMQ `Queue` (a `Queue` is one). */
export interface WatchedQueue {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
  /** `getJobs(['wait'], 0, 0, true)`: the oldest waiting job, or none. */
  getJobs(types: ['wait'], start: number, end: number, asc: boolean): Promise<readonly ({ timestamp: number } | undefined)[]>;
}

export interface QueueSnapshot {
  queue: string;
  /** Jobs by state (`waiting`, `active`, `delayed`, `prioritized`, `waiting-children`, `completed`, `failed`). */
  counts: Record<string, number>;
  /** Seconds since the oldest waiting job was added; 0 when none waits. */
  oldestWaitingSeconds: number;
}

export interface QueueSnapshotOptions {
  /** How long a snapshot answers scrapes, in ms (default 1,500). */
  cacheMs?: number;
  /** How long a queue may take to answer, in ms, before it is left out of the scrape (default 2,000). */
  timeoutMs?: number;
  /** Told when a queue is left out of a scrape (its error or time-out). */
  onError?: (queue: string, error: unknown) => void;
  now?: () => number;
}

/** A function giving the queues' current snapshots (those that answered), cached for `cacheMs`. */
export function queueSnapshots(queues: readonly WatchedQueue[], options: QueueSnapshotOptions = {}): () => Promise<QueueSnapshot[]> {
  const cacheMs = options.cacheMs ?? 1_500;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; snapshots: Promise<QueueSnapshot[]>; pending: boolean } | null = null;

  const read = async (queue: WatchedQueue): Promise<QueueSnapshot | null> => {
    try {
      const [counts, oldest] = await within(timeoutMs, Promise.all([queue.getJobCounts(), queue.getJobs(['wait'], 0, 0, true)]));
      const added = oldest[0]?.timestamp;
      return { queue: queue.name, counts, oldestWaitingSeconds: added === undefined ? 0 : Math.max(0, (now() - added) / 1000) };
    } catch (error) {
      options.onError?.(queue.name, error);
      return null;
    }
  };

  // A read in flight is shared whatever its age: both gauges of one scrape, and scrapes that overlap.
  return () => {
    if (!cached || (!cached.pending && now() - cached.at >= cacheMs)) {
      const entry = { at: now(), pending: true, snapshots: Promise.resolve<QueueSnapshot[]>([]) };
      entry.snapshots = Promise.all(queues.map(read)).then((all) => {
        entry.pending = false;
        return all.filter((snapshot) => snapshot !== null);
      });
      cached = entry;
    }
    return cached.snapshots;
  };
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The losing side must not count as an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
