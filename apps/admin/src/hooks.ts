import { useCallback, useEffect, useEffectEvent, useState } from 'react';

/** The trail of keyset cursors behind the current page (the API only hands out the next one). */
export function useCursorTrail() {
  const [trail, setTrail] = useState<(string | null)[]>([null]);
  const cursor = trail.at(-1) ?? null;
  return {
    cursor,
    page: trail.length,
    next: useCallback((nextCursor: string) => setTrail((current) => [...current, nextCursor]), []),
    previous: useCallback(() => setTrail((current) => (current.length > 1 ? current.slice(0, -1) : current)), []),
    reset: useCallback(() => setTrail([null]), []),
  };
}

export type CursorTrail = ReturnType<typeof useCursorTrail>;

/** Calls `tick` every `ms` while `active`, one call at a time; stops on unmount. */
export function useRefresh(active: boolean, ms: number, tick: () => Promise<unknown>) {
  const onTick = useEffectEvent(tick);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const loop = () => {
      timer = setTimeout(() => {
        // The tick reports its own failures (each page's load() shows them); the loop only waits for it to settle.
        void onTick().finally(() => {
          if (!stopped) loop();
        });
      }, ms);
    };
    loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, ms]);
}

/** Re-renders every `ms` (relative ages). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
