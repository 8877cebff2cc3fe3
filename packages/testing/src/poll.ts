/**
 * Reads `read` until `done` holds for what it gave, and returns that; past `timeoutMs` fails naming `what`
 * and the last value read. For states no event announces (rows in PostgreSQL, `pg_stat_activity`): each read
 * follows the last after `everyMs` (0: the next turn of the event loop).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  { timeoutMs = 60_000, everyMs = 100 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last read: ${JSON.stringify(value)})`);
    await new Promise((resolve) => (everyMs > 0 ? setTimeout(resolve, everyMs) : setImmediate(resolve)));
  }
}
