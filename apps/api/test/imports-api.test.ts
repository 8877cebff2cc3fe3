import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorBody, ImportView, Page } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv, toXlsx } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

const BOOTSTRAP = 'bootstrap-token-for-tests-0123456789';
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ maxFileBytes: 64 * 1024, bootstrapToken: BOOTSTRAP });
});
afterAll(async () => {
  await api.close();
});

const csv = toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]);
const upload = (
  content: Buffer | string,
  filename: string,
  fields: Record<string, string> = { profile: 'companies' },
  token = api.token,
) => {
  const req = api.http.post('/api/v1/imports').set('Authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);
};

/** The error shape of docs/api.md ("Errors"): `{"error": {"code", "message", "details"}}`. */
function expectError(response: { status: number; body: unknown }, status: number, code: string) {
  expect(response.status).toBe(status);
  const { error } = response.body as ErrorBody;
  expect(Object.keys(error)).toEqual(['code', 'message', 'details']);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/\w/);
}

describe('POST /api/v1/imports', () => {
  it('stores the file, records the import and enqueues its job: 202 with the import and its Location', async () => {
    const response = await upload(csv, 'companies.csv', { profile: 'companies', mode: 'overwrite' });
    expect(response.status).toBe(202);
    const created = response.body as ImportView;
    expect(response.headers.location).toBe(`/api/v1/imports/${created.id}`);
    expect(created).toMatchObject({
      profile: 'companies',
      status: 'queued',
      options: { mode: 'overwrite', dryRun: false, createMissingCategories: false },
      file: { name: 'companies.csv', size: Buffer.byteLength(csv), format: 'csv' },
      totals: { rows: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 },
      createdBy: 'api-test',
    });
    expect(created.file.sha256).toMatch(/^[0-9a-f]{64}$/);
    const job = await api.queue.getJob(created.id);
    expect(job?.data).toEqual({ importId: created.id });
    const fetched = await api.http.get(response.headers.location as string).set('Authorization', `Bearer ${api.token}`);
    expect(fetched.body).toEqual(response.body);
  });

  it('accepts an XLSX, and the bootstrap token as an admin token', async () => {
    const xlsx = toXlsx(COMPANY_HEADERS, [companyRow(3)]);
    const response = await upload(xlsx, 'companies.xlsx', { profile: 'companies' }, BOOTSTRAP);
    expect(response.status).toBe(202);
    expect((response.body as ImportView).file.format).toBe('xlsx');
  });

  it.each([
    ['an empty file', () => upload('', 'empty.csv'), 400, 'empty_file'],
    [
      'no file',
      () => api.http.post('/api/v1/imports').set('Authorization', `Bearer ${api.token}`).field('profile', 'companies'),
      400,
      'file_required',
    ],
    ['an XLSX named .csv', () => upload(toXlsx(['a'], [{ a: 1 }]), 'disguised.csv'), 415, 'unsupported_media_type'],
    ['a CSV named .xlsx', () => upload(csv, 'disguised.xlsx'), 415, 'unsupported_media_type'],
    ['a PNG', () => upload(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image.csv'), 415, 'unsupported_media_type'],
    ['a file over the size limit', () => upload(Buffer.alloc(65 * 1024, 'a'), 'big.csv'), 413, 'file_too_large'],
    ['an unknown profile', () => upload(csv, 'companies.csv', { profile: 'nope' }), 400, 'unknown_profile'],
    ['no profile', () => upload(csv, 'companies.csv', {}), 400, 'unknown_profile'],
    ['an invalid mode', () => upload(csv, 'companies.csv', { profile: 'companies', mode: 'merge' }), 400, 'invalid_options'],
  ])('refuses %s with its status and JSON error, keeping no file', async (_what, send, status, code) => {
    const before = await api.storedFiles();
    expectError(await send(), status, code);
    expect(await api.storedFiles()).toEqual(before);
  });

  it('refuses a request without a token (401) or with a bad one (401), and a viewer (403)', async () => {
    const before = await api.storedFiles();
    const anonymous = await api.http
      .post('/api/v1/imports')
      .attach('file', Buffer.from(csv), 'companies.csv')
      .field('profile', 'companies');
    expectError(anonymous, 401, 'unauthenticated');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    const bad = await upload(csv, 'companies.csv', { profile: 'companies' }, 'imp_not-a-real-token');
    expectError(bad, 401, 'invalid_token');
    const { token: viewer } = await api.tokens.create('viewer', 'viewer');
    const forbidden = await upload(csv, 'companies.csv', { profile: 'companies' }, viewer);
    expectError(forbidden, 403, 'forbidden');
    expect(await api.storedFiles()).toEqual(before);
  });
});

describe('the stored upload', () => {
  it('keeps a UTF-8 file name as sent, and is readable by the API only, in a folder only the API opens', async () => {
    const own = await startApi();
    try {
      await chmod(own.storageDir, 0o755); // as an older version, or an operator, left it
      const response = await own.http
        .post('/api/v1/imports')
        .set('Authorization', `Bearer ${own.token}`)
        .field('profile', 'companies')
        .attach('file', Buffer.from(csv), 'sociétés 2024 – Île-de-France.csv');
      expect(response.status).toBe(202);
      expect((response.body as ImportView).file.name).toBe('sociétés 2024 – Île-de-France.csv');
      const [key] = await own.storedFiles();
      expect((await stat(path.join(own.storageDir, key!))).mode & 0o777).toBe(0o600);
      expect((await stat(own.storageDir)).mode & 0o777).toBe(0o700);
    } finally {
      await own.close();
    }
  });
});

describe('reading imports', () => {
  it('lists imports newest first with keyset pagination and filters', async () => {
    await api.db.pool.query('DELETE FROM imports'); // only the two below
    expect((await upload(csv, 'companies.csv')).status).toBe(202);
    expect((await upload(toXlsx(COMPANY_HEADERS, [companyRow(3)]), 'companies.xlsx')).status).toBe(202);
    const page1 = await api.http.get('/api/v1/imports?limit=1').set('Authorization', `Bearer ${api.token}`);
    expect(page1.status).toBe(200);
    const first = page1.body as Page<ImportView>;
    expect(first.items).toHaveLength(1);
    expect(first.items[0]?.file.format).toBe('xlsx');
    const page2 = await api.http.get(`/api/v1/imports?limit=1&cursor=${first.nextCursor}`).set('Authorization', `Bearer ${api.token}`);
    const second = page2.body as Page<ImportView>;
    expect(second.items[0]?.file.format).toBe('csv');
    expect(second.nextCursor).toBeNull();
    const filtered = await api.http.get('/api/v1/imports?status=failed').set('Authorization', `Bearer ${api.token}`);
    expect(filtered.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 404 for an unknown import and 400 for a bad query', async () => {
    const missing = await api.http.get('/api/v1/imports/00000000-0000-4000-8000-000000000000').set('Authorization', `Bearer ${api.token}`);
    expectError(missing, 404, 'not_found');
    const notUuid = await api.http.get('/api/v1/imports/abc/errors').set('Authorization', `Bearer ${api.token}`);
    expect(notUuid.status).toBe(404);
    const badQuery = await api.http.get('/api/v1/imports?limit=0').set('Authorization', `Bearer ${api.token}`);
    expectError(badQuery, 400, 'invalid_query');
    const badCursor = await api.http.get('/api/v1/imports?cursor=zzz').set('Authorization', `Bearer ${api.token}`);
    expectError(badCursor, 400, 'invalid_cursor');
  });
});

describe('probes', () => {
  it('serves /healthz and /readyz without auth', async () => {
    expect((await api.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', storage: 'ok' } });
  });
});
