import { once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import type { ImportView, Page } from '@importer/contracts';
import type { ApiTokensRepository } from '@importer/db';
import { createProgressPublisher, createProgressSubscriber, createRedis, subscribeTokenRevocations } from '@importer/queue';
import { recordImport, redisUrl, testAppDeps } from '@importer/testing';
import { createApp } from '../src/app';
import { createTokenCache } from '../src/token-cache';
import { startApi, type ApiHarness } from './harness';
import { openStream } from './sse';

let api: ApiHarness;
const HEADERS = ['siren', 'siret', 'nom', 'nom_commercial', 'adresse', 'code_postal', 'ville_nom', 'naf_code', 'telephone'];

beforeAll(async () => {
  api = await startApi();
  // Enough imports for a page of 20 well over 1 KB; each record alone stays under it.
  for (let i = 0; i < 25; i++) await recordImport(api.db.pool, { headers: HEADERS });
});
afterAll(async () => {
  await api.close();
});

const bearer = (token = api.token) => ({ Authorization: `Bearer ${token}` });

describe('ETag and 304 for polling clients', () => {
  it.each([
    ['an import', async () => `/api/v1/imports/${await recordImport(api.db.pool)}`],
    ['the list', () => Promise.resolve('/api/v1/imports?limit=20')],
    ['the stats', () => Promise.resolve('/api/v1/stats')],
  ])('answers %s with an ETag, then 304 without a body while it is unchanged', async (_what, path) => {
    const url = await path();
    const first = await api.http.get(url).set(bearer());
    expect(first.status).toBe(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await api.http.get(url).set(bearer()).set('If-None-Match', etag!);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(etag);
  });

  it('answers 200 with a new ETag once the import changed', async () => {
    const id = await recordImport(api.db.pool);
    const first = await api.http.get(`/api/v1/imports/${id}`).set(bearer());
    await api.db.pool.query(`UPDATE "imports" SET "rows_total" = 500, "created" = 500 WHERE "id" = $1`, [id]);
    const changed = await api.http.get(`/api/v1/imports/${id}`).set(bearer()).set('If-None-Match', first.headers.etag!);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    expect((changed.body as ImportView).totals).toMatchObject({ rows: 500, created: 500 });
  });
});

describe('gzip', () => {
  it('compresses a page of imports for a client that accepts gzip, and only for it', async () => {
    const zipped = await api.http.get('/api/v1/imports?limit=20').set(bearer()).set('Accept-Encoding', 'gzip');
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/);
    expect((zipped.body as Page<ImportView>).items).toHaveLength(20);

    const plain = await api.http.get('/api/v1/imports?limit=20').set(bearer()).set('Accept-Encoding', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBeGreaterThan(1024);
    expect(plain.body).toEqual(zipped.body);
    // Sent whole: compressed in one piece, with the compressed length rather than in chunks.
    expect(Number(zipped.headers['content-length'])).toBeGreaterThan(0);
    expect(Number(zipped.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']));
  });

  it('leaves answers under 1 KB as they are', async () => {
    const id = await recordImport(api.db.pool);
    const small = await api.http.get(`/api/v1/imports/${id}`).set(bearer()).set('Accept-Encoding', 'gzip');
    expect(small.status).toBe(200);
    expect(Number(small.headers['content-length'])).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('never compresses Server-Sent Events: each progress message arrives as it is written', async () => {
    const prefix = `${api.prefix}-sse`;
    const subscriber = createProgressSubscriber(createRedis(redisUrl()), prefix);
    const publisher = createRedis(redisUrl());
    const app = createApp(testAppDeps(api.services, { progress: subscriber, progressPollMs: 3_600_000 }));
    const server: http.Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const id = await recordImport(api.db.pool);
      const stream = openStream((server.address() as AddressInfo).port, `/api/v1/imports/${id}/events`, {
        ...bearer(),
        'Accept-Encoding': 'gzip',
      });
      await stream.next((e) => e.event === 'import');
      expect(stream.contentType()).toMatch(/^text\/event-stream/);
      await api.db.pool.query(`UPDATE "imports" SET "rows_total" = 42 WHERE "id" = $1`, [id]);
      createProgressPublisher(publisher, prefix).publish(id);
      await stream.next((e) => e.event === 'import' && (e.data as ImportView).totals.rows === 42);
      stream.abort();
    } finally {
      await subscriber.close();
      publisher.disconnect();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('API token verification cache', () => {
  it('answers a token from its cache, and refuses it in every process as soon as one of them revokes it', async () => {
    // Two API processes on the same database and Redis: A revokes, B had the token cached.
    const connections = [createRedis(redisUrl()), createRedis(redisUrl())];
    const [revocationsA, revocationsB] = connections.map((connection) => subscribeTokenRevocations(connection, api.prefix));
    let lookUps = 0;
    const countingTokens: ApiTokensRepository = {
      ...api.tokens,
      authenticate: (token) => {
        lookUps++;
        return api.tokens.authenticate(token);
      },
    };
    const appA = createApp(testAppDeps(api.services, { tokenRevocations: revocationsA }));
    const appB = createApp(testAppDeps(api.services, { tokens: countingTokens, tokenRevocations: revocationsB }));
    try {
      const { token, id } = await api.tokens.create('polling client', 'viewer');
      const importId = await recordImport(api.db.pool);
      for (let i = 0; i < 3; i++) expect((await request(appB).get(`/api/v1/imports/${importId}`).set(bearer(token))).status).toBe(200);
      expect(lookUps).toBe(1);

      const heardByB = new Promise<void>((resolve) => revocationsB!.onRevoked((revoked) => revoked === id && resolve()));
      expect((await request(appA).delete(`/api/v1/tokens/${id}`).set(bearer())).status).toBe(204);
      // The revoking process refuses it at once; the other as soon as it hears of it, not after its cache expires.
      expect((await request(appA).get(`/api/v1/imports/${importId}`).set(bearer(token))).status).toBe(401);
      await heardByB;
      const refused = await request(appB).get(`/api/v1/imports/${importId}`).set(bearer(token));
      expect(refused.status).toBe(401);
      expect(lookUps).toBe(2);
    } finally {
      for (const connection of connections) connection.disconnect();
    }
  });

  it('revokes a token while Redis is down: refused at once by the revoking process, which logs that the others were not told', async () => {
    const logged: { msg: string; tokenId?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string }) });
    const redis = createRedis(redisUrl(), { failFast: true });
    const app = createApp(testAppDeps(api.services, { redis, logger }));
    const { token, id } = await api.tokens.create('revoked offline', 'viewer');
    const importId = await recordImport(api.db.pool);
    expect((await request(app).get(`/api/v1/imports/${importId}`).set(bearer(token))).status).toBe(200);
    redis.disconnect(); // Redis is gone for this process
    expect((await request(app).delete(`/api/v1/tokens/${id}`).set(bearer())).status).toBe(204);
    expect((await request(app).get(`/api/v1/imports/${importId}`).set(bearer(token))).status).toBe(401);
    expect(logged).toContainEqual(
      expect.objectContaining({ tokenId: id, msg: expect.stringMatching(/^token revocation not published/) as string }),
    );
  });

  it('does not remember a verification that was in flight while a token was revoked', async () => {
    const cache = createTokenCache({ ttlMs: 60_000 });
    const principal = { id: 'token-1', name: 'client', role: 'viewer' as const };
    let answer: (value: typeof principal) => void = () => undefined;
    const verifying = cache.verify('hash-1', () => new Promise((resolve) => (answer = resolve)));
    cache.drop('token-1');
    answer(principal);
    expect(await verifying).toEqual(principal);
    expect(cache.get('hash-1')).toBeUndefined();
    // A verification after the drop is remembered as usual.
    await cache.verify('hash-1', () => Promise.resolve(principal));
    expect(cache.get('hash-1')).toEqual(principal);
  });
});
