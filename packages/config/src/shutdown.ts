/**
 * The end of a process's life, next to its start (the configuration): every entry file that runs until
 * stopped traps SIGTERM/SIGINT through this one function.
 */

/** What shutdown logs through; a pino logger is one. */
interface ShutdownLogger {
  info(details: object, message: string): void;
  info(message: string): void;
  error(details: object, message: string): void;
}

export interface ShutdownOptions {
  logger: ShutdownLogger;
  /** Logged with the signal when shutdown starts: what the process does now. */
  message: string;
  /** Past `seconds`, `message` is logged and the process exits with code 1 whatever is still running; without it, shutdown takes as long as its steps. */
  timeout?: { seconds: number; message: string };
}

/**
 * On the first SIGTERM or SIGINT, runs `stop` (the process's stop steps, in order), logs `stopped` and
 * exits with code 0; a step that throws logs `shutdown failed` and exits with code 1. The other signal is
 * ignored from then on; the same signal again is no longer trapped and ends the process at once.
 */
export function onShutdownSignal(stop: () => Promise<void>, options: ShutdownOptions): void {
  const { logger, timeout } = options;
  let stopping = false;
  const shutDown = async (signal: NodeJS.Signals) => {
    if (timeout) {
      setTimeout(() => {
        logger.error({ seconds: timeout.seconds }, timeout.message);
        process.exit(1);
      }, timeout.seconds * 1000).unref();
    }
    logger.info({ signal }, options.message);
    await stop();
    logger.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      shutDown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
