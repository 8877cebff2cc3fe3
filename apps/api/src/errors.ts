/** An error with an HTTP status and a stable code, rendered as `{"error": {"code", "message", "details"}}`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new HttpError(400, code, message, details);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
