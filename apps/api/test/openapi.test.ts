/**
 * The OpenAPI document (`GET /api/v1/openapi.json`): valid OpenAPI 3.1, complete (every route Express has
 * under `/api/v1` is in it, and nothing else), and true (the real answers of the routes, errors included,
 * match the schemas, statuses, media types and headers it documents).
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

interface Operation {
  tags?: string[];
  summary?: string;
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let api: ApiHarness;
let doc: Document;
let viewer: string;
beforeAll(async () => {
  api = await startApi({ app: { uploadsPerHour: 1_000 } });
  viewer = (await api.tokens.create('openapi viewer', 'viewer')).token;
  const served = await api.http.get('/api/v1/openapi.json');
  expect(served.status).toBe(200);
  doc = JSON.parse(served.text) as Document;
});
afterAll(async () => {
  await api.close();
});

const auth = (token = api.token) => ({ Authorization: `Bearer ${token}` });

/** ajv on JSON Schema 2020-12, the dialect of OpenAPI 3.1's schemas, with the formats the document uses. */
function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats OAI's schema of the document names, which ajv-formats lacks: not checked.
  ajv.addFormat('media-range', true);
  return ajv;
}

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, served without authentication as OpenAPI JSON', async () => {
    const served = await request(api.app).get('/api/v1/openapi.json');
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/^application\/vnd\.oai\.openapi\+json;\s*version=3\.1/);
    expect(doc.openapi).toBe('3.1.0');

    // OAI's schema of OpenAPI 3.1 documents, as the validator package ships it.
    const oas31 = JSON.parse(
      readFileSync(require.resolve('@seriousme/openapi-schema-validator/schemas/v3.1/schema.json'), 'utf8'),
    ) as object;
    const ajv = newAjv();
    const validate = ajv.compile(oas31);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);

    // Every schema in it is valid JSON Schema 2020-12 and every `$ref` resolves: compile each one.
    ajv.addSchema(doc, 'openapi.json');
    const pointers: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, answer] of Object.entries(operation.responses)) {
          for (const type of Object.keys(answer.content ?? {})) {
            pointers.push(['paths', path, method, 'responses', status, 'content', type, 'schema'].map(escape).join('/'));
          }
        }
      }
    }
    expect(pointers.length).toBeGreaterThan(50);

    // Every operation is tagged, summarised and named, documents the unexpected error, and an authenticated one
    // its 401.
    const incomplete = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(
          ([, operation]) =>
            !operation.tags?.length ||
            !operation.summary ||
            !operation.operationId ||
            !operation.responses['500'] ||
            (operation.security?.length !== 0 && !operation.responses['401']),
        )
        .map(([method]) => `${method} ${path}`),
    );
    expect(incomplete).toEqual([]);
    for (const pointer of pointers) expect(() => ajv.compile({ $ref: `openapi.json#/${pointer}` })).not.toThrow();
  });

  it('describes every route Express has under /api/v1, and no other', () => {
    const served = expressRoutes(api.app).filter((route) => route.startsWith('/api/v1/') || route.includes(' /api/v1/'));
    const inExpress = new Set(
      served.map((route) =>
        route
          .replace(' /api/v1', ' ')
          .replace(/:(\w+)/g, '{$1}')
          .replace(/(.)\/$/, '$1'),
      ),
    );
    const inDocument = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    expect(inExpress.size).toBeGreaterThanOrEqual(18);
    expect({ undocumented: [...inExpress].filter((route) => !inDocument.has(route)) }).toEqual({ undocumented: [] });
    expect({ notInExpress: [...inDocument].filter((route) => !inExpress.has(route)) }).toEqual({ notInExpress: [] });
  });
});

/** A JSON pointer's token (RFC 6901), URI-encoded for a `$ref`. */
function escape(token: string): string {
  return encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** `METHOD /path` of every route the Express app has, found by walking its routers (mount paths joined). */
function expressRoutes(app: unknown): string[] {
  const walk = (stack: Layer[], prefix: string): string[] =>
    stack.flatMap((layer) => {
      const mounts = [layer.rawPath ?? '/'].flat().map((mount) => (mount === '/' ? '' : mount));
      if (layer.route) {
        const paths = [layer.route.path].flat();
        const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
        return paths.flatMap((path) => methods.map((method) => `${method.toUpperCase()} ${prefix}${path}`));
      }
      const inner = layer.handle.stack;
      return inner ? mounts.flatMap((mount) => walk(inner, `${prefix}${mount}`)) : [];
    });
  return walk((app as { router: { stack: Layer[] } }).router.stack, '');
}

/** A real answer is what the document says of `METHOD path` at its status: documented, headers, media type, body. */
function expectDocumented(method: string, path: string, response: request.Response): void {
  const operation = doc.paths[path]?.[method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  const documented = operation.responses[String(response.status)];
  expect({ route: `${method} ${path}`, status: response.status, documented: Boolean(documented) }).toMatchObject({ documented: true });
  if (!documented) return;
  // Every documented header is sent, but those marked `required: false` (sent only sometimes).
  for (const [header, spec] of Object.entries(documented.headers ?? {})) {
    if ((spec as { required?: boolean }).required === false) continue;
    expect({ status: response.status, header, present: response.headers[header.toLowerCase()] !== undefined }).toMatchObject({
      present: true,
    });
  }
  const types = Object.keys(documented.content ?? {});
  if (types.length === 0) {
    expect(response.text ?? '').toBe('');
    return;
  }
  const type = String(response.headers['content-type'] ?? '').split(';')[0];
  const documentedType = types.find((candidate) => candidate.split(';')[0] === type);
  if (!documentedType) {
    throw new Error(`${method.toUpperCase()} ${path} answered ${response.status} as ${type}; documented: ${types.join(', ')}`);
  }
  if (type !== 'application/json') return;
  const ajv = newAjv();
  ajv.addSchema(doc, 'openapi.json');
  const pointer = ['paths', path, method, 'responses', String(response.status), 'content', documentedType, 'schema'].map(escape).join('/');
  const validate = ajv.compile({ $ref: `openapi.json#/${pointer}` });
  const valid = validate(response.body);
  expect({ route: `${method} ${path}`, status: response.status, errors: valid ? [] : validate.errors }).toEqual({
    route: `${method} ${path}`,
    status: response.status,
    errors: [],
  });
}

const csv = toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]);

describe('the real answers are what the document says', () => {
  it('imports: upload, list, record, row errors, errors.csv, events, cancel, retry, and their refusals', async () => {
    const upload = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'companies.csv');
    expectDocumented('post', '/imports', upload);
    expect(upload.status).toBe(202);
    const id = (upload.body as ImportView).id;

    expectDocumented('get', '/imports', await api.http.get('/api/v1/imports?limit=1').set(auth()));
    expectDocumented('get', '/imports/{id}', await api.http.get(`/api/v1/imports/${id}`).set(auth()));
    await api.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, raw) VALUES ($1, 2, 'error', 'siren', 'invalid_siren', 'siren: must be 9 digits', NULL)`,
      [id],
    );
    expectDocumented('get', '/imports/{id}/errors', await api.http.get(`/api/v1/imports/${id}/errors`).set(auth()));
    const rejected = await api.http.get(`/api/v1/imports/${id}/errors.csv`).set(auth());
    expect(rejected.status).toBe(200);
    expectDocumented('get', '/imports/{id}/errors.csv', rejected);

    const cancelled = await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth());
    expect(cancelled.status).toBe(200);
    expectDocumented('post', '/imports/{id}/cancel', cancelled);
    // A finished import's stream sends its record and `end`, then closes.
    const events = await api.http.get(`/api/v1/imports/${id}/events`).set(auth());
    expect(events.status).toBe(200);
    expectDocumented('get', '/imports/{id}/events', events);
    const again = await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth());
    expect(again.status).toBe(409);
    expectDocumented('post', '/imports/{id}/cancel', again);
    const retried = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(retried.status).toBe(202);
    expectDocumented('post', '/imports/{id}/retry', retried);
    const notRetryable = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(notRetryable.status).toBe(409);
    expectDocumented('post', '/imports/{id}/retry', notRetryable);

    const refusals: [string, request.Response, number][] = [
      ['/imports', await api.http.post('/api/v1/imports').set(auth()).field('profile', 'companies'), 400],
      [
        '/imports',
        await api.http.post('/api/v1/imports').set(auth()).field('profile', 'companies').attach('file', Buffer.from('%PDF-1.4\n'), 'x.csv'),
        415,
      ],
      ['/imports', await api.http.post('/api/v1/imports').set(auth(viewer)).field('profile', 'companies'), 403],
    ];
    for (const [path, response, status] of refusals) {
      expect(response.status).toBe(status);
      expectDocumented('post', path, response);
    }
    for (const [path, url, status] of [
      ['/imports', '/api/v1/imports?limit=0', 400],
      ['/imports', '/api/v1/imports?cursor=nope', 400],
      ['/imports/{id}', '/api/v1/imports/00000000-0000-4000-8000-000000000000', 404],
      ['/imports/{id}/errors', '/api/v1/imports/not-a-uuid/errors', 404],
    ] as const) {
      const response = await api.http.get(url).set(auth());
      expect(response.status).toBe(status);
      expectDocumented('get', path, response);
    }
    const anonymous = await request(api.app).get('/api/v1/imports');
    expect(anonymous.status).toBe(401);
    expectDocumented('get', '/imports', anonymous);
    const badToken = await request(api.app).get('/api/v1/stats').set(auth('imp_unknown'));
    expect(badToken.status).toBe(401);
    expectDocumented('get', '/stats', badToken);
  });

  it('reference data: profiles, stats, cleanup runs', async () => {
    expectDocumented('get', '/profiles', await api.http.get('/api/v1/profiles').set(auth()));
    expectDocumented('get', '/stats', await api.http.get('/api/v1/stats').set(auth()));
    expectDocumented('get', '/cleanup-runs', await api.http.get('/api/v1/cleanup-runs').set(auth()));
  });

  it('accounts: tokens, and the session by log-in, with its CSRF check', async () => {
    const created = await api.http.post('/api/v1/tokens').set(auth()).send({ name: 'openapi check', role: 'viewer' });
    expect(created.status).toBe(201);
    expectDocumented('post', '/tokens', created);
    const refused = await api.http.post('/api/v1/tokens').set(auth()).send({ name: '', role: 'root' });
    expect(refused.status).toBe(400);
    expectDocumented('post', '/tokens', refused);
    const badJson = await api.http.post('/api/v1/tokens').set(auth()).set('Content-Type', 'application/json').send('{"name":');
    expect(badJson.status).toBe(400);
    expectDocumented('post', '/tokens', badJson);
    expectDocumented('get', '/tokens', await api.http.get('/api/v1/tokens').set(auth()));
    const forbidden = await api.http.get('/api/v1/tokens').set(auth(viewer));
    expect(forbidden.status).toBe(403);
    expectDocumented('get', '/tokens', forbidden);
    const revoked = await api.http.delete(`/api/v1/tokens/${(created.body as { id: string }).id}`).set(auth());
    expect(revoked.status).toBe(204);
    expectDocumented('delete', '/tokens/{id}', revoked);
    expectDocumented('get', '/session', await api.http.get('/api/v1/session').set(auth()));
    const noSession = await api.http.delete('/api/v1/session').set(auth());
    expect(noSession.status).toBe(400);
    expectDocumented('delete', '/session', noSession);

    const email = 'openapi@example.com';
    await api.users.create({ email, password: 'a long enough password', role: 'operator' });
    const agent = request.agent(api.app);
    const wrong = await agent.post('/api/v1/session').send({ email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expectDocumented('post', '/session', wrong);
    const loggedIn = await agent.post('/api/v1/session').send({ email, password: 'a long enough password' });
    expect(loggedIn.status).toBe(200);
    expectDocumented('post', '/session', loggedIn);
    const withoutCsrf = await agent.delete('/api/v1/session');
    expect(withoutCsrf.status).toBe(403);
    expectDocumented('delete', '/session', withoutCsrf);
    const loggedOut = await agent.delete('/api/v1/session').set('X-CSRF-Token', (loggedIn.body as { csrfToken: string }).csrfToken);
    expect(loggedOut.status).toBe(204);
    expectDocumented('delete', '/session', loggedOut);
  });

  it('the document itself', async () => {
    expectDocumented('get', '/openapi.json', await request(api.app).get('/api/v1/openapi.json'));
  });
});

describe('/api/docs', () => {
  it('serves Swagger UI and its assets from the API, under a Content-Security-Policy without inline scripts', async () => {
    const redirect = await request(api.app).get('/api/docs');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/api/docs/');
    const page = await request(api.app).get('/api/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js']) {
      expect(page.text).toContain(`./${asset}`);
      const served = await request(api.app).get(`/api/docs/${asset}`);
      expect(served.status).toBe(200);
    }
    const init = await request(api.app).get('/api/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('/api/v1/openapi.json');
    expect((await request(api.app).get('/api/docs/package.json')).status).toBe(404);
  });
});
