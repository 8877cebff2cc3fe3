/**
 * Every `/api/v1` route, as the OpenAPI document (`GET /api/v1/openapi.json`) describes it: one entry per
 * route, with the `@importer/contracts` schemas that validate its requests and shape its answers. What all
 * routes share (security, path parameters, authentication and parsing errors) is added by `operation.ts`.
 * A route Express has and this list lacks fails `apps/api/test/openapi.test.ts`.
 */
import { z } from 'zod';
import {
  apiTokenListSchema,
  cleanupRunsPageSchema,
  cleanupRunsQuerySchema,
  createdApiTokenSchema,
  errorGroupsSchema,
  importsListQuerySchema,
  inspectFieldsSchema,
  inspectionSchema,
  mappingsQuerySchema,
  newSavedMappingSchema,
  savedMappingListSchema,
  savedMappingSchema,
  importsPageSchema,
  importViewSchema,
  logInBodySchema,
  newApiTokenSchema,
  profilesSchema,
  rowErrorsPageSchema,
  rowErrorsQuerySchema,
  sessionSchema,
  statsSchema,
  uploadFieldsSchema,
} from '@importer/contracts';
import type { ApiRoute } from './operation';

const LOCATION = { Location: { description: 'The import: `/api/v1/imports/<id>`', schema: { type: 'string' } } } as const;
const RATE_LIMIT = {
  RateLimit: { description: 'What is left of the limit (IETF draft 7)', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'The limit and its window (IETF draft 7)', schema: { type: 'string' } },
} as const;

/** The upload's multipart fields: the contract's, and the file that multer reads. */
const uploadBody = uploadFieldsSchema.extend({
  file: z.string().meta({
    format: 'binary',
    contentMediaType: 'application/octet-stream',
    description: 'The CSV, TSV, TXT, XLSX or XLS file; its format is decided by its content',
  }),
});

export const API_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/imports',
    tag: 'Imports',
    summary: 'Upload a file to import',
    description:
      'Stores the file, records the import `queued` and enqueues it. What is wrong inside the file (a missing column, a bad cell) is not an upload error: the import reports it.',
    access: 'operator',
    body: { multipart: uploadBody },
    answers: { 202: { description: 'The import, `queued`', body: importViewSchema, headers: { ...LOCATION, ...RATE_LIMIT } } },
    errors: {
      400: {
        file_required: 'No multipart field `file`',
        empty_file: 'The file has 0 bytes',
        unknown_profile: '`profile` missing or unknown (details `{profiles}`)',
        invalid_options: '`mode`, `dryRun`, `sheet` or `createMissingCategories` invalid (details `[{field, message}]`)',
        invalid_mapping:
          '`mapping` is not a JSON object of file header to column, or names an unknown column, a column twice or a header twice',
        too_many_files: 'A second file',
        unexpected_file: 'A file in a field other than `file`',
        invalid_upload: 'Not valid `multipart/form-data`, or over a multipart limit',
      },
      413: { file_too_large: 'Over `MAX_FILE_MB`' },
      415: { unsupported_media_type: 'Not CSV, XLSX or XLS by content, or an extension that disagrees (details `{detected}`)' },
      429: { too_many_uploads: '`UPLOADS_PER_HOUR` reached (details `{limit, retryAfterSeconds}`)' },
    },
  },
  {
    method: 'get',
    path: '/imports',
    tag: 'Imports',
    summary: 'List imports, newest first',
    access: 'viewer',
    query: importsListQuerySchema,
    answers: { 200: { description: 'A page of imports', body: importsPageSchema } },
  },
  {
    method: 'get',
    path: '/imports/:id',
    idOf: 'import',
    tag: 'Imports',
    summary: 'The import record',
    access: 'viewer',
    answers: { 200: { description: 'The import', body: importViewSchema } },
  },
  {
    method: 'get',
    path: '/imports/:id/errors',
    idOf: 'import',
    tag: 'Imports',
    summary: 'Row errors and warnings, in row order',
    access: 'viewer',
    query: rowErrorsQuerySchema,
    answers: { 200: { description: 'A page of row errors', body: rowErrorsPageSchema } },
  },
  {
    method: 'get',
    path: '/imports/:id/errors.csv',
    idOf: 'import',
    tag: 'Imports',
    summary: 'The rejected rows as CSV',
    description:
      'A UTF-8 byte-order mark, the file’s headers plus `error_column`, `error_code`, `error_message`, then each rejected row with its errors; formula-like cells neutralised. Streamed: should reading fail midway, the download is cut short.',
    access: 'viewer',
    answers: {
      200: {
        description: 'The rejected rows, in the file’s delimiter (`,` for workbooks)',
        body: { type: 'text/csv', schema: { type: 'string' } },
        headers: {
          'Content-Disposition': { description: 'attachment; filename="<upload>-rejected-rows.csv"', schema: { type: 'string' } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/imports/:id/events',
    idOf: 'import',
    tag: 'Imports',
    summary: 'Live progress (Server-Sent Events)',
    description:
      'Event `import`: `data` is the import record, at once and whenever it changes; event `end` (`data: {}`) after the record of a finished import, then the stream closes. A comment line every 15 s; the server closes the stream after `PROGRESS_STREAM_MAX_MINUTES` or once its access is gone.',
    access: 'viewer',
    answers: {
      200: {
        description: 'A stream of `import` events (the import record as JSON), then `end`',
        body: { type: 'text/event-stream', schema: { type: 'string' } },
      },
    },
    errors: { 429: { too_many_streams: '`PROGRESS_STREAMS_PER_USER` or `PROGRESS_STREAMS_MAX` reached (details `{limit, scope}`)' } },
  },
  {
    method: 'get',
    path: '/imports/:id/error-groups',
    idOf: 'import',
    tag: 'Imports',
    summary: "The import's row errors grouped by level, column and code, largest group first",
    access: 'viewer',
    answers: { 200: { description: 'The groups, each with its first rows and values', body: errorGroupsSchema } },
  },
  {
    method: 'post',
    path: '/imports/:id/resubmit',
    idOf: 'import',
    tag: 'Imports',
    summary: 'Re-submit corrected rows as a new import of the same profile and options',
    description:
      'The corrected rejected-rows CSV as downloaded (its `error_*` columns are ignored), or any file of the profile. The new import links to the original by `parentId`; the original lists it in `resubmissions`. Counts against `UPLOADS_PER_HOUR`.',
    access: 'operator',
    body: { multipart: z.object({ file: uploadBody.shape.file }) },
    answers: { 202: { description: 'The new import, `queued`', body: importViewSchema, headers: { ...LOCATION, ...RATE_LIMIT } } },
    errors: {
      400: {
        file_required: 'No multipart field `file`',
        empty_file: 'The file has 0 bytes',
        too_many_files: 'A second file',
        unexpected_file: 'A file in a field other than `file`',
        invalid_upload: 'Not valid `multipart/form-data`, or over a multipart limit',
      },
      409: { not_resubmittable: 'The original is not finished (details `{status}`)' },
      413: { file_too_large: 'Over `MAX_FILE_MB`' },
      415: { unsupported_media_type: 'Not CSV, XLSX or XLS by content, or an extension that disagrees (details `{detected}`)' },
      429: { too_many_uploads: '`UPLOADS_PER_HOUR` reached (details `{limit, retryAfterSeconds}`)' },
    },
  },
  {
    method: 'post',
    path: '/imports/:id/retry',
    idOf: 'import',
    tag: 'Imports',
    summary: 'Retry a failed or cancelled import from its checkpoint',
    access: 'operator',
    answers: { 202: { description: 'The import, `queued` again', body: importViewSchema, headers: LOCATION } },
    errors: {
      409: {
        not_retryable: 'The import is neither `failed` nor `cancelled` (details `{status}`)',
        file_purged: 'The cleanup removed its file',
      },
    },
  },
  {
    method: 'post',
    path: '/imports/:id/cancel',
    idOf: 'import',
    tag: 'Imports',
    summary: 'Cancel a queued or processing import',
    access: 'operator',
    answers: { 200: { description: 'The import, `cancelled`', body: importViewSchema } },
    errors: { 409: { not_cancellable: 'The import is neither `queued` nor `processing` (details `{status}`)' } },
  },
  {
    method: 'get',
    path: '/profiles',
    tag: 'Reference data',
    summary: 'The import profiles, their columns, the write modes',
    access: 'viewer',
    answers: { 200: { description: 'Profiles and modes', body: profilesSchema } },
  },
  {
    method: 'get',
    path: '/stats',
    tag: 'Reference data',
    summary: 'Dashboard figures',
    description: 'One aggregate query over the imports, cached for 5 s.',
    access: 'viewer',
    answers: {
      200: {
        description: 'The figures',
        body: statsSchema,
        headers: { 'Cache-Control': { description: '`private, max-age=5`', schema: { type: 'string' } } },
      },
    },
  },
  {
    method: 'get',
    path: '/cleanup-runs',
    tag: 'Reference data',
    summary: "The nightly cleanup's runs, newest first",
    access: 'viewer',
    query: cleanupRunsQuerySchema,
    answers: { 200: { description: 'A page of cleanup runs', body: cleanupRunsPageSchema } },
  },
  {
    method: 'get',
    path: '/tokens',
    tag: 'Tokens',
    summary: 'List API tokens, newest first',
    access: 'admin',
    answers: { 200: { description: 'Every token, without its secret', body: apiTokenListSchema } },
  },
  {
    method: 'post',
    path: '/tokens',
    tag: 'Tokens',
    summary: 'Create an API token',
    access: 'admin',
    body: { json: newApiTokenSchema },
    answers: { 201: { description: 'The token, with its secret shown this once', body: createdApiTokenSchema } },
    errors: { 400: { invalid_token_request: '`name` or `role` invalid (details `[{field, message}]`)' } },
  },
  {
    method: 'delete',
    path: '/tokens/:id',
    idOf: 'active API token',
    tag: 'Tokens',
    summary: 'Revoke an API token',
    description: 'Its progress streams close at once.',
    access: 'admin',
    answers: { 204: { description: 'Revoked' } },
  },
  {
    method: 'post',
    path: '/session',
    tag: 'Session',
    summary: 'Log in to the admin UI',
    description:
      'Starts a fresh session: the cookies `importer.sid` (httpOnly) and `XSRF-TOKEN`. Failed log-ins are limited per e-mail and address, and per address.',
    access: 'public',
    body: { json: logInBodySchema },
    answers: {
      200: {
        description: 'Who logged in, and the CSRF token',
        body: sessionSchema,
        headers: { 'Set-Cookie': { description: '`importer.sid` and `XSRF-TOKEN`', schema: { type: 'string' } } },
      },
    },
    errors: {
      400: { invalid_credentials_body: 'Not `{"email", "password"}`' },
      401: { invalid_credentials: 'A wrong e-mail or password, or a disabled user' },
      415: { unsupported_media_type: 'The body is not JSON' },
      429: { too_many_attempts: 'Too many failed log-ins (details `{limit, retryAfterSeconds}`)' },
      503: { login_busy: 'The password checks and their queue are full (details `{retryAfterSeconds}`)' },
    },
  },
  {
    method: 'get',
    path: '/session',
    tag: 'Session',
    summary: 'Who is calling, and how',
    access: 'viewer',
    answers: { 200: { description: 'The caller; `csrfToken` is `null` for a bearer call', body: sessionSchema } },
  },
  {
    method: 'delete',
    path: '/session',
    tag: 'Session',
    summary: 'Log out',
    description: 'Ends the session and closes its progress streams.',
    access: 'viewer',
    answers: { 204: { description: 'Logged out' } },
    errors: { 400: { no_session: 'The request is authenticated by a token, not a session' } },
  },
  {
    method: 'post',
    path: '/imports/inspect',
    tag: 'Column mappings',
    summary: "Read a file's header row and suggest a column for each header",
    description:
      'For the mapping step before an upload: the file is read by the import readers with the same limits, then deleted; nothing is recorded and it does not count as an upload.',
    access: 'operator',
    body: { multipart: inspectFieldsSchema.extend({ file: uploadBody.shape.file }) },
    answers: { 200: { description: 'The headers, a suggestion for each, the required columns left unmatched', body: inspectionSchema } },
    errors: {
      400: {
        file_required: 'No multipart field `file`',
        empty_file: 'The file has 0 bytes',
        unknown_profile: '`profile` missing or unknown (details `{profiles}`)',
        invalid_options: '`sheet` invalid (details `[{field, message}]`)',
      },
      413: { file_too_large: 'Over `MAX_FILE_MB`' },
      415: { unsupported_media_type: 'Not CSV, XLSX or XLS by content, or an extension that disagrees (details `{detected}`)' },
      422: { unreadable_file: 'The file cannot be read (the code is the one an import of it would fail with)' },
    },
  },
  {
    method: 'get',
    path: '/mappings',
    tag: 'Column mappings',
    summary: 'Saved column mappings, newest first',
    access: 'viewer',
    query: mappingsQuerySchema,
    answers: { 200: { description: 'The saved mappings', body: savedMappingListSchema } },
  },
  {
    method: 'post',
    path: '/mappings',
    tag: 'Column mappings',
    summary: 'Save the column mapping of a header set (replaces the one saved for the same headers)',
    access: 'operator',
    body: { json: newSavedMappingSchema },
    answers: {
      201: { description: 'Saved', body: savedMappingSchema },
      200: { description: 'Replaced the mapping saved for the same profile and headers', body: savedMappingSchema },
    },
    errors: {
      400: {
        invalid_mapping: 'Not `{profile, headers, mapping}`, or a mapping naming an unknown column, a column twice or a header not listed',
        unknown_profile: 'Unknown profile (details `{profiles}`)',
        missing_columns: 'Required columns left unmatched',
        duplicate_header: 'Two headers matched to one column',
      },
    },
  },
  {
    method: 'delete',
    path: '/mappings/:id',
    idOf: 'column mapping',
    tag: 'Column mappings',
    summary: 'Remove a saved column mapping',
    access: 'operator',
    answers: { 204: { description: 'Removed' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Documentation',
    summary: 'This OpenAPI 3.1 document',
    description: 'Public: it describes the API, not its data. `GET /api/docs` renders it.',
    access: 'public',
    answers: {
      200: { description: 'The document', body: { type: 'application/vnd.oai.openapi+json;version=3.1', schema: { type: 'object' } } },
    },
  },
];
