/**
 * One `/api/v1` route as the OpenAPI document describes it (`ApiRoute`), and what every route shares, added
 * here once: its security (bearer token, or session cookie with the CSRF header on writes), its path
 * parameters (from the Express path), and the error answers of authentication, roles, request parsing and
 * the unexpected (docs/api.md, "Errors").
 */
import type { ResponseConfig, RouteConfig, ZodMediaTypeObject } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Role } from '@importer/contracts';

/** Tags group the operations in the document and its rendering; each route names one. */
export const TAGS = {
  Imports: 'Uploads, the import record, row errors, live progress, retry and cancel',
  'Reference data': 'Profiles, dashboard figures, the nightly cleanup',
  Tokens: 'API tokens (admins)',
  Session: "The admin UI's log-in, who is calling, log-out",
  Sync: 'Batches of JSON rows written at once (automation tools)',
  Webhooks: 'Signed `import.finished` deliveries to endpoints (admins) and their log',
  'Column mappings': 'Header sets and the columns they map to, remembered per profile',
  Documentation: 'This description of the API',
} as const;
type Tag = keyof typeof TAGS;

/** The security schemes a route's `access` refers to (`components.securitySchemes`). */
export const SECURITY_SCHEMES = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`imp_…`), created by an admin with `POST /tokens` or the CLI',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'importer.sid',
    description: "The admin UI's session, from `POST /session`; used only when no `Authorization` header is sent",
  },
  csrfHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: "The session's CSRF token (`csrfToken` of `POST /session` and `GET /session`), on every state-changing session request",
  },
} as const;

/** The body of every error answer; its `code` lists what the route may answer with that status. */
const ERROR_BODY_REF = '#/components/schemas/ErrorBody';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;
/** Error codes by status, each with when it is answered. */
type ErrorCodes = Partial<Record<ErrorStatus, Record<string, string>>>;

/** Response headers, as OpenAPI writes them (`{ Location: { description, schema } }`). */
type Headers = Exclude<ResponseConfig['headers'], z.ZodObject | undefined>;

interface Answer {
  description: string;
  /** A zod schema of `@importer/contracts` (JSON), or the media type and its schema for anything else. */
  body?: z.ZodType | { type: string; schema: ZodMediaTypeObject['schema'] };
  headers?: Headers;
}

export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The path under `/api/v1` as Express spells it: `/imports/:id/retry`. */
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  /**
   * Who may call it: the least role (`viewer` ⊂ `operator` ⊂ `admin`), or `public` (no authentication).
   */
  access: Role | 'public';
  /** What `:id` names, for its description (`import`, `API token`). */
  idOf?: string;
  /** The path's parameters; default: each `:name` of `path` is a UUID (an unknown one is a 404). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (`Idempotency-Key`). */
  headers?: z.ZodObject;
  body?: { json: z.ZodType } | { multipart: z.ZodType; encoding?: ZodMediaTypeObject['encoding'] };
  /** Success answers, by status. */
  answers: Partial<Record<200 | 201 | 202 | 204, Answer>>;
  /** The route's own error codes; the shared ones are added (`sharedErrors`). */
  errors?: ErrorCodes;
}

const ROLE_WORDS: Record<ApiRoute['access'], string> = {
  public: 'No authentication.',
  viewer: 'Any authenticated caller (`viewer` and up).',
  operator: 'Role `operator` or `admin`.',
  admin: 'Role `admin`.',
};

const SAFE_METHODS = new Set(['get', 'head', 'options']);

/** The error codes a route can answer besides its own (docs/api.md, "Authentication and roles", "Errors"). */
function sharedErrors(route: ApiRoute): ErrorCodes {
  const errors: ErrorCodes = {
    500: { internal_error: 'Anything unexpected; the detail is in the API log' },
  };
  const add = (status: ErrorStatus, codes: Record<string, string>) => (errors[status] = { ...errors[status], ...codes });
  if (route.access !== 'public') {
    add(401, {
      unauthenticated: 'No `Authorization` header and no live session (`WWW-Authenticate: Bearer`)',
      invalid_token: 'The header is not `Bearer <token>`, or the token is unknown or revoked',
    });
    if (route.access !== 'viewer') add(403, { forbidden: "The caller's role may not do this" });
    if (!SAFE_METHODS.has(route.method)) add(403, { invalid_csrf_token: "A session request without the session's CSRF token" });
  }
  if (route.path.includes(':') && !route.params)
    add(404, { not_found: `No such ${route.idOf ?? 'record'} (an id that is not a UUID included)` });
  if (route.query) {
    add(400, { invalid_query: 'A query parameter is malformed (details: `[{field, message}]`)' });
    if ('cursor' in route.query.shape) add(400, { invalid_cursor: 'A `cursor` this API did not return' });
  }
  if (route.body && 'json' in route.body) {
    add(400, {
      invalid_json: 'The body is not valid JSON',
      request_aborted: 'The body ended before its `Content-Length`',
      invalid_content_length: 'The body is not as long as its `Content-Length`',
    });
    add(413, { body_too_large: 'A JSON body over 2 MB (counted once inflated)' });
    add(415, {
      unsupported_charset: 'A `charset` that is not a UTF (details `{charset}`)',
      unsupported_content_encoding: 'A `Content-Encoding` that cannot be inflated (details `{encoding}`)',
    });
  }
  return errors;
}

const RETRY_AFTER: Headers = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } };

/** One error answer: the shared body, its `code` narrowed to the listed ones. */
function errorAnswer(status: number, codes: Record<string, string>): ResponseConfig {
  return {
    ...((status === 429 || status === 503) && { headers: RETRY_AFTER }),
    description: Object.entries(codes)
      .map(([code, when]) => `- \`${code}\`: ${when}`)
      .join('\n'),
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: ERROR_BODY_REF },
            {
              type: 'object',
              properties: { error: { type: 'object', properties: { code: { type: 'string', enum: Object.keys(codes) } } } },
            },
          ],
        },
      },
    },
  };
}

function answer({ description, body, headers }: Answer): ResponseConfig {
  const content: ResponseConfig['content'] =
    body === undefined
      ? undefined
      : body instanceof z.ZodType
        ? { 'application/json': { schema: body } }
        : { [body.type]: { schema: body.schema } };
  return { description, ...(content && { content }), ...(headers && { headers }) };
}

/** The Express path in OpenAPI's spelling: `/imports/:id` → `/imports/{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** `post /imports/:id/retry` → `postImportsByIdRetry`: for client generators, unique as method and path are. */
const operationId = (route: ApiRoute) =>
  route.method +
  route.path
    .split(/[/.-]/)
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `By${capitalise(segment.slice(1))}` : capitalise(segment)))
    .join('');
const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** The route as zod-to-openapi registers it. */
export function routeConfig(route: ApiRoute): RouteConfig {
  const params = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => name as string);
  const errors = sharedErrors(route);
  for (const [status, codes] of Object.entries(route.errors ?? {})) {
    errors[Number(status) as ErrorStatus] = { ...errors[Number(status) as ErrorStatus], ...codes };
  }
  const responses: RouteConfig['responses'] = {};
  for (const [status, success] of Object.entries(route.answers)) responses[status] = answer(success);
  for (const [status, codes] of Object.entries(errors).sort(([a], [b]) => Number(a) - Number(b)))
    responses[status] = errorAnswer(Number(status), codes);

  const body =
    route.body &&
    ('json' in route.body
      ? { 'application/json': { schema: route.body.json } }
      : { 'multipart/form-data': { schema: route.body.multipart, ...(route.body.encoding && { encoding: route.body.encoding }) } });
  return {
    method: route.method,
    path: openApiPath(route.path),
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, ROLE_WORDS[route.access]].filter(Boolean).join('\n\n'),
    security:
      route.access === 'public'
        ? []
        : SAFE_METHODS.has(route.method)
          ? [{ bearerToken: [] }, { sessionCookie: [] }]
          : [{ bearerToken: [] }, { sessionCookie: [], csrfHeader: [] }],
    request: {
      ...(params.length > 0 && {
        params:
          route.params ??
          z.object(Object.fromEntries(params.map((name) => [name, z.uuid().describe(`The ${route.idOf ?? 'record'}'s id`)]))),
      }),
      ...(route.query && { query: route.query }),
      ...(route.headers && { headers: route.headers }),
      ...(body && { body: { required: true, content: body } }),
    },
    responses,
  };
}
