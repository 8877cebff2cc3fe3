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
