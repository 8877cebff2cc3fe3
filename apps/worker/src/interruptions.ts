/**
 * Why a running import stops before its end, carried as the reason of the `AbortSignal` the engine checks
 * at each chunk boundary. The chunk being written commits (or rolls back) first, so the checkpoint is
 * always that of the last committed chunk.
 */

/** The attempt ran past `IMPORT_TIMEOUT_MIN`: the import fails with code `timeout`, its checkpoint kept. */
export class ImportTimeoutError extends Error {
  override name = 'ImportTimeoutError';
  readonly code = 'timeout';
  constructor(readonly timeoutMs: number) {
    super(
      `The import ran longer than its ${formatDuration(timeoutMs)} limit (IMPORT_TIMEOUT_MIN); it stopped after its last committed chunk, where a retry resumes.`,
    );
  }
}

/** The worker is shutting down (SIGTERM/SIGINT): the job goes back to the queue for another worker. */
export class WorkerShutdownError extends Error {
  override name = 'WorkerShutdownError';
  constructor() {
    super('The worker is shutting down; the import goes back to the queue and resumes from its checkpoint.');
  }
}

/** A per-attempt time limit: its signal aborts with `ImportTimeoutError`; `clear()` once the attempt ends. */
export interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

export function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ImportTimeoutError(timeoutMs)), timeoutMs);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

function formatDuration(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 1 ? `${Math.round(minutes * 10) / 10} min` : `${Math.round(ms / 100) / 10} s`;
}
