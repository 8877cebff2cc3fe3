import { UnrecoverableError, Worker } from 'bullmq';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, redisUrl, toCsv } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
let viewer: string;
beforeAll(async () => {
  api = await startApi();
  viewer = (await api.tokens.create('viewer', 'viewer')).token;
});
afterAll(async () => {
  await api.close();
});

const auth = () => ({ Authorization: `Bearer ${api.token}` });
const csv = toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]);

async function upload(): Promise<string> {
  const response = await api.http
    .post('/api/v1/imports')
    .set(auth())
    .field('profile', 'companies')
    .attach('file', Buffer.from(csv), 'c.csv');
  expect(response.status).toBe(202);
  return (response.body as ImportView).id;
}

const setStatus = (id: string, status: string, extra = '') =>
  api.db.pool.query(`UPDATE imports SET status = $2${extra} WHERE id = $1`, [id, status]);

describe('POST /api/v1/imports/:id/cancel', () => {
  it('cancels a queued import and removes its waiting job; a second cancel is a conflict', async () => {
    const id = await upload();
    expect(await (await api.queue.getJob(id))?.getState()).toBe('waiting');

    const cancelled = await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth());
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', error: null });
    expect((cancelled.body as ImportView).finishedAt).not.toBeNull();
    expect(await api.queue.getJob(id)).toBeUndefined();

    const again = await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth());
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'not_cancellable', details: { status: 'cancelled' } });
  });

  it('refuses a finished import, an unknown one, and a viewer', async () => {
    const id = await upload();
    await setStatus(id, 'completed');
    expect(errorOf(await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth()))?.code).toBe('not_cancellable');
    expect((await api.http.post('/api/v1/imports/00000000-0000-4000-8000-000000000000/cancel').set(auth())).status).toBe(404);
    expect((await api.http.post('/api/v1/imports/not-a-uuid/cancel').set(auth())).status).toBe(404);
    expect((await api.http.post(`/api/v1/imports/${id}/cancel`).set({ Authorization: `Bearer ${viewer}` })).status).toBe(403);
  });
});

describe('POST /api/v1/imports/:id/retry', () => {
  it('puts a cancelled import back in the queue with a fresh job; a queued one cannot be retried', async () => {
    const id = await upload();
    await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth()).expect(200);

    const retried = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(retried.status).toBe(202);
    expect(retried.headers.location).toBe(`/api/v1/imports/${id}`);
    expect(retried.body).toMatchObject({ id, status: 'queued', finishedAt: null, error: null });
    const job = await api.queue.getJob(id);
    expect(await job?.getState()).toBe('waiting');

    const again = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'not_retryable', details: { status: 'queued' } });
  });

  it('replaces the failed job that still holds the import id, with fresh attempts', async () => {
    const id = await upload();
    // A worker fails the job for good, as a bad file would.
    const url = new URL(redisUrl());
    const worker = new Worker(api.queue.name, () => Promise.reject(new UnrecoverableError('missing_columns: bad file')), {
      connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
      prefix: api.queue.opts.prefix,
    });
    try {
      await new Promise<void>((resolve) => worker.on('failed', (job) => job?.id === id && resolve()));
    } finally {
      await worker.close();
    }
    await setStatus(id, 'failed', `, error_code = 'missing_columns', error_message = 'bad file', finished_at = now()`);
    expect(await (await api.queue.getJob(id))?.getState()).toBe('failed');

    const retried = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', error: null });
    const job = await api.queue.getJob(id);
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(job?.failedReason).toBeFalsy();
  });

  it('refuses an import whose file the cleanup purged, an unknown one, and a viewer', async () => {
    const id = await upload();
    await api.db.pool.query(`DELETE FROM imports WHERE id <> $1`, [id]); // keep the listing below simple
    await setStatus(id, 'failed', ', file_purged_at = now()');
    const purged = await api.http.post(`/api/v1/imports/${id}/retry`).set(auth());
    expect(purged.status).toBe(409);
    expect(errorOf(purged)?.code).toBe('file_purged');
    expect((await api.http.post('/api/v1/imports/00000000-0000-4000-8000-000000000000/retry').set(auth())).status).toBe(404);
    expect((await api.http.post(`/api/v1/imports/${id}/retry`).set({ Authorization: `Bearer ${viewer}` })).status).toBe(403);
  });
});

describe('GET /api/v1/cleanup-runs', () => {
  it('lists the runs (none yet) to any role, and rejects a bad cursor', async () => {
    const listed = await api.http.get('/api/v1/cleanup-runs').set({ Authorization: `Bearer ${viewer}` });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [], nextCursor: null });
    expect((await api.http.get('/api/v1/cleanup-runs?cursor=-1').set(auth())).status).toBe(400);
    expect((await api.http.get('/api/v1/cleanup-runs')).status).toBe(401);
  });
});
