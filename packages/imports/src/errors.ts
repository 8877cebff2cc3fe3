/**
 * A file that cannot be imported as it is (unreadable, hostile, missing a required column). Retrying will
 * not help: the worker fails the import at once with this code and message. The message is shown to users:
 * it is written here, in the product's words, never taken from a library; a library's error goes in
 * `cause`, which the worker logs.
 */
export class BadFileError extends Error {
  override name = 'BadFileError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The import's user already has `IMPORTS_PER_USER` imports running: nothing was claimed, no attempt
 * counted. The worker puts the job back (delayed) without holding a slot; it is not a failure.
 */
export class UserAtCapError extends Error {
  override name = 'UserAtCapError';
  constructor(readonly importId: string) {
    super(`The import's user already has the most imports running at once; it waits for one of them to end.`);
  }
}
