import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

/** Every line the API logs, so that a test can see the detail went to the log and not to the client. */
const logged: Record<string, unknown>[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });

let api: ApiHarness;
let importId: string;
beforeAll(async () => {
  api = await startApi({ app: { logger } });
  const upload = await api.http
    .post('/api/v1/imports')
    .set(auth())
    .field('profile', 'companies')
    .attach('file', Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(1)])), 'companies.csv');
  importId = (upload.body as ImportView).id;
});
afterAll(() => api.close());

function auth() {
  return { Authorization: `Bearer ${api.token}` };
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A client error in the API's shape, with nothing of the server in its message. */
function expectClientError(response: { status: number; body: unknown; text: string }, status: number, code: string) {
  expect({ status: response.status, code: errorOf(response)?.code }).toEqual({ status, code });
  expect(response.text).not.toMatch(/\/work\/|node_modules|\bat \w+ \(|SELECT |INSERT |BigInt|prisma|Invalid `/i);
}

describe('tampered cursors', () => {
  const tampered: [string, string][] = [
    ['not base64', '%%%'],
    ['not JSON', Buffer.from('not json').toString('base64url')],
    ['an object', cursorOf({ at: 1 })],
    ['too short', cursorOf(['2024-01-01T00:00:00.000Z'])],
    ['too long', cursorOf(['2024-01-01T00:00:00.000Z', randomUUID(), 1])],
  ];

  it.each([
    ...tampered,
    ['not a date', cursorOf(['not a date', 'x'])],
    ['a number for the date', cursorOf([1e300, '1'])],
    ['a date out of range', cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()])],
    ['a date PostgreSQL cannot hold', cursorOf(['-271821-04-20T00:00:00.000Z', randomUUID()])],
    ['an id that is not a UUID', cursorOf(['2024-01-01T00:00:00.000Z', 'x'])],
  ])('GET /imports refuses a cursor that is %s with 400 invalid_cursor', async (_what, cursor) => {
    expectClientError(await api.http.get(`/api/v1/imports?cursor=${cursor}`).set(auth()), 400, 'invalid_cursor');
  });

  it.each([
    ...tampered,
    ['a row id that is not a number', cursorOf([1, 'abc'])],
    ['a huge row number', cursorOf([1e300, '1'])],
    ['a negative row number', cursorOf([-1, '1'])],
    ['a fractional row number', cursorOf([1.5, '1'])],
    ['an id out of range', cursorOf([1, '99999999999999999999'])],
    ['a string row number', cursorOf(['1', '1'])],
  ])('GET /imports/:id/errors refuses a cursor that is %s with 400 invalid_cursor', async (_what, cursor) => {
    expectClientError(await api.http.get(`/api/v1/imports/${importId}/errors?cursor=${cursor}`).set(auth()), 400, 'invalid_cursor');
  });

  it.each([
    ['not a number', 'abc'],
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['out of range', '99999999999999999999'],
    ['base64 JSON', cursorOf([1, '1'])],
  ])('GET /cleanup-runs refuses a cursor that is %s with 400 invalid_cursor', async (_what, cursor) => {
    expectClientError(await api.http.get(`/api/v1/cleanup-runs?cursor=${cursor}`).set(auth()), 400, 'invalid_cursor');
  });

  it('still follows the cursors it gave', async () => {
    const first = await api.http.get('/api/v1/imports?limit=1').set(auth());
    expect(first.status).toBe(200);
    const errors = await api.http.get(`/api/v1/imports/${importId}/errors?cursor=${cursorOf([1, '1'])}`).set(auth());
    expect(errors.status).toBe(200);
  });
});

describe('request bodies the API cannot read', () => {
  const logIn = () => api.http.post('/api/v1/session');

  it('refuses a charset it does not decode with 415, not a 500', async () => {
    logged.length = 0;
    const response = await logIn().set('Content-Type', 'application/json; charset=koi8-r').send('{"email":"a@b.c","password":"x"}');
    expectClientError(response, 415, 'unsupported_charset');
    expect(errorOf(response)?.message).toMatch(/koi8-r/i);
    expect(logged.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('refuses malformed JSON, a body too large and an unknown content encoding with their own codes', async () => {
    expectClientError(await logIn().set('Content-Type', 'application/json').send('{"email":'), 400, 'invalid_json');
    expectClientError(
      await logIn()
        .set('Content-Type', 'application/json')
        .send(`{"email":"${'a'.repeat(3 * 1024 * 1024)}"}`),
      413,
      'body_too_large',
    );
    expectClientError(
      await logIn().set('Content-Type', 'application/json').set('Content-Encoding', 'br2').send('{}'),
      415,
      'unsupported_content_encoding',
    );
  });

  it('refuses a malformed multipart upload with 400', async () => {
    const response = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .set('Content-Type', 'multipart/form-data; boundary=abc')
      .send('--abc\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nunfinished');
    expectClientError(response, 400, 'invalid_upload');
    expect(await api.storedFiles()).toHaveLength(1); // the first upload only
  });

  it('answers 400 for a path that is not valid percent-encoding', async () => {
    expectClientError(await api.http.get('/api/v1/imports/%E0%A4%A').set(auth()), 400, 'bad_request');
  });

  it('keeps the detail of an unexpected failure in the log, and gives the client a plain 500', async () => {
    logged.length = 0;
    await api.db.pool.query('ALTER TABLE "cleanup_runs" RENAME TO "cleanup_runs_gone"');
    try {
      const response = await api.http.get('/api/v1/cleanup-runs').set(auth());
      expectClientError(response, 500, 'internal_error');
      expect(response.text).not.toMatch(/cleanup_runs|relation/);
      expect(JSON.stringify(logged)).toMatch(/cleanup_runs/);
    } finally {
      await api.db.pool.query('ALTER TABLE "cleanup_runs_gone" RENAME TO "cleanup_runs"');
    }
  });
});

describe('headers', () => {
  it('sends X-Content-Type-Options: nosniff with every API answer, errors and probes included', async () => {
    for (const response of [
      await api.http.get('/api/v1/imports').set(auth()),
      await api.http.get('/api/v1/imports'),
      await api.http.get('/api/v1/nothing-here').set(auth()),
      await api.http.get('/healthz'),
      await api.http.get('/readyz'),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
