import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

/**
 * Watches how long the event loop stays blocked. BullMQ renews each job's lock from a timer every half
 * lock duration; a loop blocked longer than that (a huge synchronous parse) lets the lock expire and
 * another worker take the job over. The chunk fence keeps that from double counting, but it wastes work,
 * so a block past a quarter of the lock duration is logged as a warning.
 */
export function watchEventLoop(logger: Logger, options: { lockDurationMs: number; everyMs?: number }) {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  const warnAboveMs = options.lockDurationMs / 4;
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      histogram.enable();
      timer = setInterval(() => {
        const maxMs = Math.round(histogram.max / 1e6);
        if (maxMs > warnAboveMs) {
          logger.warn({ maxMs, lockDurationMs: options.lockDurationMs }, 'event loop blocked long enough to put job locks at risk');
        }
        histogram.reset();
      }, options.everyMs ?? 10_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
