import path from 'node:path';
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';

/**
 * A thread's script. The compiled worker has it beside itself (`dist/<name>.js`, an entry of
 * apps/worker/scripts/build.mjs); run from the TypeScript sources (jest, tsx, the API) it is this folder's
 * `<name>.ts`, loaded through tsx's require hook.
 */
function threadScript(name: string): { file: string; execArgv?: string[] } {
  if (!__filename.endsWith('.ts')) return { file: path.join(__dirname, `${name}.js`) };
  return { file: path.join(__dirname, `${name}.ts`), execArgv: ['--require', require.resolve('tsx/cjs')] };
}

export interface ReaderThreadOptions {
  workerData?: unknown;
  transferList?: Transferable[];
  resourceLimits?: ResourceLimits;
  /** What the thread's own failure (an uncaught error, running out of memory) is reported as. */
  failure?: (error: Error & { code?: string }) => Error;
}

/**
 * A reader's worker thread (`xls-thread`, `xlsx-thread`), its messages received in order. Once the thread
 * has stopped (an error, or its end), `receive` rejects.
 */
export class ReaderThread<In, Out> {
  private readonly thread: Worker;
  private readonly inbox: Out[] = [];
  private stopped: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(name: string, options: ReaderThreadOptions = {}) {
    const script = threadScript(name);
    this.thread = new Worker(script.file, {
      workerData: options.workerData,
      transferList: options.transferList,
      execArgv: script.execArgv,
      resourceLimits: options.resourceLimits,
      // The files a thread opens (the shared strings' spill files) are closed when it ends, however it ends.
      trackUnmanagedFds: true,
    });
    this.thread.on('message', (message: Out) => this.deliver(() => this.inbox.push(message)));
    this.thread.on('error', (error: Error & { code?: string }) =>
      this.deliver(() => (this.stopped ??= options.failure ? options.failure(error) : error)),
    );
    this.thread.on('exit', () =>
      this.deliver(() => (this.stopped ??= new Error(`The reading thread (${name}) stopped before the end of the file.`))),
    );
  }

  private deliver(update: () => void): void {
    update();
    this.wake?.();
    this.wake = null;
  }

  /** The next message; rejects once the thread has stopped. */
  async receive(): Promise<Out> {
    for (;;) {
      const message = this.inbox.shift();
      if (message !== undefined) return message;
      if (this.stopped) throw this.stopped;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(message: In, transferList?: readonly Transferable[]): void {
    this.thread.postMessage(message, transferList);
  }

  async close(): Promise<void> {
    await this.thread.terminate();
  }
}
