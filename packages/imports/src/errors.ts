/**
 * A file that cannot be imported as it is (unreadable, hostile, missing a required column). Retrying will
 * not help: the worker fails the import at once with this code and message.
 */
export class BadFileError extends Error {
  override name = 'BadFileError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
