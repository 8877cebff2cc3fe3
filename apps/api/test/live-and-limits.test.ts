import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImportStats, ImportView } from '@importer/contracts';
import { createProgressPublisher, createProgressSubscriber, createRedis, progressChannel, type ProgressSubscriber } from '@importer/queue';
import { COMPANY_HEADERS, companyRow, recordImport, redisUrl, toCsv, uniquePrefix } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';
import { openStream } from './sse';

const csv = toCsv(COMPANY_HEADERS, [companyRow(1)]);

describe('GET /imports/:id/events (Server-Sent Events)', () => {
  let api: ApiHarness;
  let subscriber: ProgressSubscriber;
  let server: http.Server;
  let port: number;
  const publisher = createRedis(redisUrl());
  const progressPrefix = uniquePrefix();

  /** Emits `unwatched` when a stream stops watching: the server learns of a client gone only later. */
  const streams = new EventEmitter();

  beforeAll(async () => {
    // The poll is an hour: every update below must arrive through the progress channel.
    const connection = createRedis(redisUrl());
    subscriber = createProgressSubscriber(connection, progressPrefix);
    // Redis answers a connection's commands in order: once this repeated (idempotent) SUBSCRIBE is
    // answered, so is the subscriber's own, and no message published from now on is missed.
    await connection.subscribe(progressChannel(progressPrefix));
    const watched: ProgressSubscriber = {
      ...subscriber,
      watch(importId, listener) {
        const unwatch = subscriber.watch(importId, listener);
        return () => {
          unwatch();
          streams.emit('unwatched', importId);
        };
      },
    };
    api = await startApi({ app: { progress: watched, progressPollMs: 3_600_000 } });
    server = api.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await subscriber.close();
    server.close();
    await once(server, 'close');
    publisher.disconnect();
    await api.close();
  });

  const newImport = () => recordImport(api.db.pool);
  const auth = () => ({ Authorization: `Bearer ${api.token}` });
  const publish = (id: string) => createProgressPublisher(publisher, progressPrefix).publish(id);

  it('sends the record at once, each committed chunk as the worker publishes it, then the final status and `end`', async () => {
    const id = await newImport();
    const stream = openStream(port, `/api/v1/imports/${id}/events`, auth());
    expect(await stream.next((e) => e.event === 'import')).toMatchObject({ id, status: 'queued' });
    expect(stream.status()).toBe(200);
    expect(stream.contentType()).toMatch(/^text\/event-stream/);

    await api.db.pool.query(
      `UPDATE "imports" SET "status" = 'processing', "rows_total" = 500, "progress_percent" = 50, "rows_per_second" = 250, "eta_seconds" = 2 WHERE "id" = $1`,
      [id],
    );
    publish(id);
    expect(await stream.next((e) => e.event === 'import' && (e.data as { status: string }).status === 'processing')).toMatchObject({
      progress: { processedRows: 500, percent: 50, rowsPerSecond: 250, etaSeconds: 2 },
    });

    await api.db.pool.query(`UPDATE "imports" SET "status" = 'completed', "rows_total" = 1000, "progress_percent" = 100 WHERE "id" = $1`, [
      id,
    ]);
    publish(id);
    expect(await stream.next((e) => e.event === 'import' && (e.data as { status: string }).status === 'completed')).toMatchObject({
      totals: { rows: 1000 },
    });
    await stream.next((e) => e.event === 'end');
    await stream.closed;
    expect(subscriber.watching()).toBe(0);
  });

  it('ends at once for a finished import, and answers 404 for an unknown one and 401 without credentials', async () => {
    const id = await newImport();
    await api.db.pool.query(`UPDATE "imports" SET "status" = 'failed' WHERE "id" = $1`, [id]);
    const finished = openStream(port, `/api/v1/imports/${id}/events`, auth());
    await finished.closed;
    expect(finished.events.map((e) => e.event)).toEqual(['import', 'end']);

    const unknown = openStream(port, `/api/v1/imports/${randomUUID()}/events`, auth());
    await unknown.closed;
    expect(unknown.status()).toBe(404);
    const anonymous = openStream(port, `/api/v1/imports/${id}/events`, {});
    await anonymous.closed;
    expect(anonymous.status()).toBe(401);
  });

  it('stops watching when the client goes away, and closes open streams when the subscriber closes', async () => {
    const id = await newImport();
    const left = openStream(port, `/api/v1/imports/${id}/events`, auth());
    await left.next((e) => e.event === 'import');
    expect(subscriber.watching()).toBe(1);
    const unwatched = once(streams, 'unwatched');
    left.abort();
    await left.closed.catch(() => undefined);
    expect(await unwatched).toEqual([id]);
    expect(subscriber.watching()).toBe(0);

    const open = openStream(port, `/api/v1/imports/${id}/events`, auth());
    await open.next((e) => e.event === 'import');
    await subscriber.close(); // what the API does at SIGTERM, so that the server can close
    await open.closed;
    expect(open.events.map((e) => e.event)).toEqual(['import']);
  });
});

describe('GET /imports/:id/events without a progress channel', () => {
  it('still follows status changes made elsewhere by re-reading the record', async () => {
    const api = await startApi({ app: { progressPollMs: 50 } });
    const server = api.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const upload = await api.http
        .post('/api/v1/imports')
        .set('Authorization', `Bearer ${api.token}`)
        .field('profile', 'companies')
        .attach('file', Buffer.from(csv), 'companies.csv');
      const { id } = upload.body as ImportView;
      const stream = openStream((server.address() as AddressInfo).port, `/api/v1/imports/${id}/events`, {
        Authorization: `Bearer ${api.token}`,
      });
      await stream.next((e) => e.event === 'import');
      await api.db.pool.query(`UPDATE "imports" SET "status" = 'cancelled' WHERE "id" = $1`, [id]);
      expect(await stream.next((e) => e.event === 'import' && (e.data as { status: string }).status === 'cancelled')).toMatchObject({ id });
      await stream.closed;
    } finally {
      server.close();
      await api.close();
    }
  });
});

describe('GET /stats', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    // Cached for an hour: the second request below is answered from the cache however slow the machine.
    api = await startApi({ app: { statsCacheMs: 3_600_000 } });
  });
  afterAll(() => api.close());

  it('gives totals by status and profile, rows by outcome over 24 h and 30 days, and the failure rate, cached briefly', async () => {
    const rows: [string, string, number, number, number, string][] = [
      // profile, status, rows, created, failed, age
      ['companies', 'completed', 100, 90, 0, '1 hour'],
      ['companies', 'completed_with_errors', 50, 40, 5, '2 hours'],
      ['categories', 'failed', 0, 0, 0, '3 hours'],
      ['companies', 'completed', 30, 30, 0, '3 days'],
      ['categories', 'failed', 0, 0, 0, '40 days'],
      ['companies', 'processing', 10, 10, 0, '1 minute'],
    ];
    for (const [profile, status, total, created, failed, age] of rows) {
      await api.db.pool.query(
        `INSERT INTO "imports" ("id", "profile", "status", "file_name", "file_size", "file_sha256", "file_key", "file_format",
           "rows_total", "created", "failed", "created_at")
         VALUES ($1, $2, $3, 'f.csv', 1, $4, 'k', 'csv', $5, $6, $7, now() - $8::interval)`,
        [randomUUID(), profile, status, '0'.repeat(64), total, created, failed, age],
      );
    }
    const response = await api.http.get('/api/v1/stats').set('Authorization', `Bearer ${api.token}`);
    expect(response.status).toBe(200);
    const stats = response.body as ImportStats;
    expect(stats.imports).toEqual({
      total: 6,
      byStatus: { completed: 2, completed_with_errors: 1, failed: 2, processing: 1 },
      byProfile: { companies: 4, categories: 2 },
    });
    expect(stats.last24h).toEqual({
      imports: 4,
      rows: { total: 160, created: 140, updated: 0, unchanged: 0, skipped: 0, failed: 5 },
      finishedImports: 3,
      failedImports: 1,
      failureRate: 1 / 3,
    });
    expect(stats.last30d).toMatchObject({ imports: 5, finishedImports: 4, failedImports: 1, failureRate: 0.25 });

    await api.db.pool.query(`DELETE FROM "imports"`);
    const cached = await api.http.get('/api/v1/stats').set('Authorization', `Bearer ${api.token}`);
    expect(cached.body).toEqual(response.body);
  });
});

describe('UPLOADS_PER_HOUR', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ app: { uploadsPerHour: 2 } });
  });
  afterAll(() => api.close());

  const upload = (token: string, content = csv) =>
    api.http
      .post('/api/v1/imports')
      .set('Authorization', `Bearer ${token}`)
      .field('profile', 'companies')
      .attach('file', Buffer.from(content), 'companies.csv');

  it("refuses a user's upload beyond the hourly limit with 429 and Retry-After; refused uploads and other users are not counted", async () => {
    expect((await upload(api.token, '')).status).toBe(400); // an empty file: refused, not counted
    expect((await upload(api.token)).status).toBe(202);
    expect((await upload(api.token)).status).toBe(202);
    const limited = await upload(api.token);
    expect(limited.status).toBe(429);
    expect(errorOf(limited)).toMatchObject({ code: 'too_many_uploads', details: { limit: 2 } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    const { token: other } = await api.tokens.create('other', 'operator');
    expect((await upload(other)).status).toBe(202);
    // Reads are not limited.
    expect((await api.http.get('/api/v1/imports').set('Authorization', `Bearer ${api.token}`)).status).toBe(200);
  });
});
