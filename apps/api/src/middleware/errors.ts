import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import type { Logger } from 'pino';
import { InvalidCursorError } from '@importer/db';
import { HttpError } from '../errors';

const MULTER_STATUS: Partial<Record<multer.ErrorCode, [number, string]>> = {
  LIMIT_FILE_SIZE: [413, 'file_too_large'],
  LIMIT_FILE_COUNT: [400, 'too_many_files'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_file'],
};

/** What body-parser and raw-body tell in their errors (`type`, and the charset or encoding refused). */
interface BodyError {
  type?: string;
  charset?: string;
  encoding?: string;
  limit?: number;
}

/** A value the client sent, quoted in a message: short, and printable. */
const quoted = (value: string | undefined) => JSON.stringify((value ?? '').slice(0, 40));

/** body-parser's errors, each as a status, a stable code and a message for the client. */
const BODY_ERRORS: Record<string, (error: BodyError) => HttpError> = {
  'charset.unsupported': (e) =>
    new HttpError(415, 'unsupported_charset', `The request body's charset ${quoted(e.charset)} is not supported; send UTF-8.`, {
      charset: e.charset ?? null,
    }),
  'encoding.unsupported': (e) =>
    new HttpError(
      415,
      'unsupported_content_encoding',
      `The Content-Encoding ${quoted(e.encoding)} is not supported; send identity, gzip, deflate or br.`,
      {
        encoding: e.encoding ?? null,
      },
    ),
  'entity.parse.failed': () => new HttpError(400, 'invalid_json', 'The request body is not valid JSON.'),
  'entity.too.large': (e) =>
    new HttpError(413, 'body_too_large', `The request body is larger than the ${e.limit ? `${Math.round(e.limit / 1024)} KB ` : ''}limit.`),
  'request.aborted': () => new HttpError(400, 'request_aborted', 'The request body ended before its announced length.'),
  'request.size.invalid': () =>
    new HttpError(400, 'invalid_content_length', 'The request body does not have the length its Content-Length announced.'),
};

/** The status of an error thrown by a library with `http-errors` (4xx only: a 5xx stays an internal error). */
function clientStatus(error: unknown): number | null {
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/**
 * Maps every error to a status and the JSON error body; the one place HTTP errors are rendered. Only our
 * own messages reach the client: a library's error gets a fixed message for its kind (its own may carry
 * server paths), and anything unexpected is a plain 500 whose detail (stack, SQL) goes to the log only.
 */
export function errorHandler(logger: Logger, limits: { maxFileBytes: number }): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let http: HttpError;
    const bodyError = BODY_ERRORS[(error as BodyError | null)?.type ?? ''];
    const status = clientStatus(error);
    if (error instanceof HttpError) {
      http = error;
    } else if (error instanceof multer.MulterError) {
      const [multerStatus, code] = MULTER_STATUS[error.code] ?? [400, 'invalid_upload'];
      const message =
        error.code === 'LIMIT_FILE_SIZE'
          ? `The file is larger than the ${Math.round(limits.maxFileBytes / 1024 / 1024)} MB limit.`
          : `${error.message}${error.field ? ` (field "${error.field}")` : ''}.`;
      http = new HttpError(multerStatus, code, message);
    } else if (error instanceof InvalidCursorError) {
      http = new HttpError(400, 'invalid_cursor', 'The cursor is not one this API returned; start again from the first page.');
    } else if (bodyError) {
      http = bodyError(error as BodyError);
    } else if (status) {
      logger.info({ err: error, method: req.method, url: req.originalUrl }, 'request refused');
      const reason = STATUS_CODES[status] ?? 'Bad Request';
      http = new HttpError(status, reason.toLowerCase().replace(/[^a-z]+/g, '_'), `The request was refused: ${reason}.`);
    } else {
      logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
      http = new HttpError(500, 'internal_error', 'Something went wrong on our side; the error was logged.');
    }
    if (res.headersSent) return;
    res.status(http.status).json({ error: { code: http.code, message: http.message, details: http.details ?? null } });
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};
