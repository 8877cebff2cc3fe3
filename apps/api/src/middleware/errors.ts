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

/** Maps every error to a status and the JSON error body; the one place HTTP errors are rendered. */
export function errorHandler(logger: Logger, limits: { maxFileBytes: number }): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let http: HttpError;
    if (error instanceof HttpError) {
      http = error;
    } else if (error instanceof multer.MulterError) {
      const [status, code] = MULTER_STATUS[error.code] ?? [400, 'invalid_upload'];
      const message =
        error.code === 'LIMIT_FILE_SIZE'
          ? `The file is larger than the ${Math.round(limits.maxFileBytes / 1024 / 1024)} MB limit.`
          : `${error.message}${error.field ? ` (field "${error.field}")` : ''}.`;
      http = new HttpError(status, code, message);
    } else if (error instanceof InvalidCursorError) {
      http = new HttpError(400, 'invalid_cursor', error.message);
    } else if ((error as { type?: string }).type === 'entity.parse.failed') {
      http = new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    } else if ((error as { type?: string }).type === 'entity.too.large') {
      http = new HttpError(413, 'body_too_large', 'The request body is too large.');
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
