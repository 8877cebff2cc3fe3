import type { Worker } from 'bullmq';

/** A BullMQ worker a test started: `stop()` closes it and waits until it has stopped processing. */
export interface RunningWorker<W extends Worker = Worker> {
  worker: W;
  /** Closes the worker (`force`: without waiting for its running jobs) and awaits the end of its run. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Runs a worker created with `autorun: false` and waits until it is connected. The promise `run()` returns
 * (settled once the worker has closed and its last job has returned) is kept, never left floating: `stop()`
 * awaits it, so a test's teardown neither drops the database under a job still running nor misses an
 * error that ended the run.
 */
export async function runWorker<W extends Worker>(worker: W): Promise<RunningWorker<W>> {
  const running = worker.run();
  // Observed by stop(); until then a failure must not count as unhandled.
  running.catch(() => undefined);
  await worker.waitUntilReady();
  return {
    worker,
    async stop(force = false) {
      await worker.close(force);
      await running;
    },
  };
}
