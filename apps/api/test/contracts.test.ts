import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { z } from 'zod';
import {
  apiTokenListSchema,
  cleanupRunsPageSchema,
  createdApiTokenSchema,
  errorBodySchema,
  fieldIssuesSchema,
  importActionAnswerSchema,
  importsPageSchema,
  importViewSchema,
  profilesSchema,
  revertPreviewSchema,
  rowErrorsPageSchema,
  sessionSchema,
  statsSchema,
  syncAnswerSchema,
  type LogInBody,
  type NewApiToken,
} from '@importer/contracts';
import { createCleanupRunsRepository, ZERO_COUNTS } from '@importer/db';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const auth = () => ({ Authorization: `Bearer ${api.token}` });

/** The answer is what its contract says, and no more: parsing drops no field and changes none. */
function expectAnswer<S extends z.ZodType>(schema: S, response: { status: number; body: unknown }, status = 200): z.output<S> {
  expect(response.status).toBe(status);
  const parsed = schema.parse(response.body);
  expect(parsed).toEqual(response.body);
  return parsed;
}

describe('the answers of /api/v1 are what @importer/contracts declares', () => {
  it('imports: upload, list, record, row errors, cancel, retry', async () => {
    const upload = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .field('profile', 'companies')
      .field('dryRun', 'on')
      .field('sheet', '')
      .attach('file', Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(1)])), 'entreprises.csv');
    const created = expectAnswer(importViewSchema, upload, 202);
    expect(created.options).toEqual({ mode: 'upsert', dryRun: true, createMissingCategories: false });

    expectAnswer(importViewSchema, await api.http.get(`/api/v1/imports/${created.id}`).set(auth()));
    const page = expectAnswer(importsPageSchema, await api.http.get('/api/v1/imports?status=queued&limit=5').set(auth()));
    expect(page.items.map((item) => item.id)).toEqual([created.id]);

    await api.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, raw) VALUES ($1, 2, 'error', 'siren', 'invalid_siren', 'siren: must be 9 digits', NULL), ($1, 3, 'warning', NULL, 'duplicate_key', 'row 2 repeats this row', NULL)`,
      [created.id],
    );
    const errors = expectAnswer(rowErrorsPageSchema, await api.http.get(`/api/v1/imports/${created.id}/errors?limit=1`).set(auth()));
    expect(errors.nextCursor).not.toBeNull();
    expectAnswer(rowErrorsPageSchema, await api.http.get(`/api/v1/imports/${created.id}/errors?cursor=${errors.nextCursor}`).set(auth()));

    const cancelled = expectAnswer(importActionAnswerSchema, await api.http.post(`/api/v1/imports/${created.id}/cancel`).set(auth()));
    expect(cancelled.status).toBe('cancelled');
    const retried = expectAnswer(importActionAnswerSchema, await api.http.post(`/api/v1/imports/${created.id}/retry`).set(auth()), 202);
    expect(retried.status).toBe('queued');
  });

  it('sync: the answer of a batch, and its import record', async () => {
    const body = { rows: [companyRow(2), { siren: '1', nom: 'bad' }] };
    const answer = expectAnswer(syncAnswerSchema, await api.http.post('/api/v1/sync/companies').set(auth()).send(body));
    expect(answer).toMatchObject({ status: 'partial_success', created: 1, failed: 1 });
    const record = expectAnswer(importViewSchema, await api.http.get(`/api/v1/imports/${answer.importId}`).set(auth()));
    expect(record.source).toBe('sync');
    const replayed = await api.http.post('/api/v1/sync/companies').set(auth()).set('Idempotency-Key', 'contract').send(body);
    expectAnswer(syncAnswerSchema, replayed);
  });

  it('reverts: the dry run, the revert started, a refusal', async () => {
    const upload = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .field('profile', 'companies')
      .attach('file', Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(2)])), 'entreprises.csv');
    const { id } = expectAnswer(importViewSchema, upload, 202);
    // No worker here: the import is set as one would have finished it.
    await api.db.pool.query(`UPDATE imports SET status = 'completed', started_at = now(), finished_at = now() WHERE id = $1`, [id]);
    const preview = expectAnswer(
      revertPreviewSchema,
      await api.http.post(`/api/v1/imports/${id}/revert`).set(auth()).send({ dryRun: true }),
    );
    expect(preview).toEqual({ dryRun: true, reverted: 0, kept: 0, failed: 0, failures: { referenced: 0, missing: 0 } });
    const started = expectAnswer(importActionAnswerSchema, await api.http.post(`/api/v1/imports/${id}/revert`).set(auth()), 202);
    expect(started).toMatchObject({ status: 'reverting', revert: { reverted: 0, rows: null, processedRows: 0, finishedAt: null } });
    expectAnswer(importViewSchema, await api.http.get(`/api/v1/imports/${id}`).set(auth()));
    await api.db.pool.query(`UPDATE imports SET status = 'reverted' WHERE id = $1`, [id]);
    const refused = expectAnswer(errorBodySchema, await api.http.post(`/api/v1/imports/${id}/revert`).set(auth()), 409);
    expect(refused.error).toMatchObject({ code: 'already_reverted', details: { status: 'reverted' } });
  });

  it('figures and reference data: stats, profiles, cleanup runs', async () => {
    expectAnswer(statsSchema, await api.http.get('/api/v1/stats').set(auth()));
    const profiles = expectAnswer(profilesSchema, await api.http.get('/api/v1/profiles').set(auth()));
    expect(profiles.items.map((profile) => profile.name)).toEqual(expect.arrayContaining(['categories', 'subcategories', 'companies']));

    const runs = createCleanupRunsRepository(api.db.pool);
    const now = new Date();
    const id = await runs.start({ trigger: 'manual', startedAt: now, importsBefore: now, filesBefore: now });
    await runs.finish(id, { status: 'completed', finishedAt: new Date(), counts: { ...ZERO_COUNTS, importsDeleted: 2 } });
    await runs.start({ trigger: 'schedule', status: 'skipped', startedAt: now, importsBefore: now, filesBefore: now });
    const listed = expectAnswer(cleanupRunsPageSchema, await api.http.get('/api/v1/cleanup-runs?limit=1').set(auth()));
    expect(listed.nextCursor).not.toBeNull();
    expectAnswer(cleanupRunsPageSchema, await api.http.get(`/api/v1/cleanup-runs?cursor=${listed.nextCursor}`).set(auth()));
  });

  it('accounts: tokens, and the session by log-in and by token', async () => {
    const body: NewApiToken = { name: 'contract check', role: 'viewer' };
    const created = expectAnswer(createdApiTokenSchema, await api.http.post('/api/v1/tokens').set(auth()).send(body), 201);
    const tokens = expectAnswer(apiTokenListSchema, await api.http.get('/api/v1/tokens').set(auth()));
    expect(tokens.items.map((token) => token.id)).toContain(created.id);
    expectAnswer(sessionSchema, await api.http.get('/api/v1/session').set({ Authorization: `Bearer ${created.token}` }));

    const credentials: LogInBody = { email: `contract-${randomUUID()}@example.com`, password: 'a long enough password' };
    await api.users.create({ ...credentials, role: 'operator' });
    const agent = request.agent(api.app);
    const session = expectAnswer(sessionSchema, await agent.post('/api/v1/session').send(credentials));
    expect(session).toMatchObject({ authenticatedBy: 'session', principal: { name: credentials.email, role: 'operator' } });
    expectAnswer(sessionSchema, await agent.get('/api/v1/session'));
  });

  it('errors: one body shape, with field issues where a request was refused field by field', async () => {
    const refused = expectAnswer(errorBodySchema, await api.http.get('/api/v1/imports?limit=0&status=nope').set(auth()), 400);
    expect(refused.error.code).toBe('invalid_query');
    expect(fieldIssuesSchema.parse(refused.error.details).map((issue) => issue.field)).toEqual(['limit', 'status']);
    const token = expectAnswer(errorBodySchema, await api.http.post('/api/v1/tokens').set(auth()).send({ name: ' ', role: 'root' }), 400);
    expect(token.error.code).toBe('invalid_token_request');
    expect(fieldIssuesSchema.parse(token.error.details).map((issue) => issue.field)).toEqual(['name', 'role']);
    const missing = expectAnswer(errorBodySchema, await api.http.get(`/api/v1/imports/${randomUUID()}`).set(auth()), 404);
    expect(missing.error).toMatchObject({ code: 'not_found', details: null });
  });
});
