import { once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { ErrorBody, SessionInfo } from '@importer/contracts';
import type { ImportsRepository } from '@importer/db';
import { createProgressPublisher, createProgressSubscriber, createRedis, type ProgressSubscriber } from '@importer/queue';
import { recordImport, redisUrl, uniquePrefix } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';
import { openStream } from './sse';

const PASSWORD = 'correct horse battery';

let api: ApiHarness;
let subscriber: ProgressSubscriber;
let server: http.Server;
let port: number;
/** Reads of an import record by the API (each stream's first read, then the shared re-reads). */
let reads = 0;
const publisher = createRedis(redisUrl());
const progressPrefix = uniquePrefix();

beforeAll(async () => {
  subscriber = createProgressSubscriber(createRedis(redisUrl()), progressPrefix);
  const imports = new Proxy({} as ImportsRepository, {
    get: (_target, key: keyof ImportsRepository) =>
      key === 'find'
        ? (id: string) => {
            reads++;
            return api.imports.find(id);
          }
        : api.imports[key].bind(api.imports),
  });
  // The poll is an hour: every re-read below is caused by a published message, or there is none.
  api = await startApi({
    app: {
      imports,
      progress: subscriber,
      progressPollMs: 3_600_000,
      progressStreamsPerUser: 3,
      progressStreamsMax: 5,
      progressStreamMaxMs: 3_600_000,
    },
  });
  server = api.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  await api.users.create({ email: 'viewer@example.com', password: PASSWORD, role: 'viewer' });
  await api.users.create({ email: 'leaving@example.com', password: PASSWORD, role: 'viewer' });
});
afterAll(async () => {
  await subscriber.close();
  server.close();
  await once(server, 'close');
  publisher.disconnect();
  await api.close();
});

const newImport = () => recordImport(api.db.pool);
const publish = (id: string) => createProgressPublisher(publisher, progressPrefix).publish(id);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const watch = async (id: string, headers: Record<string, string>) => {
  const stream = openStream(port, `/api/v1/imports/${id}/events`, headers);
  await stream.next((e) => e.event === 'import');
  return stream;
};
const finish = async (id: string) => {
  await api.db.pool.query(`UPDATE "imports" SET "status" = 'completed' WHERE "id" = $1`, [id]);
  publish(id);
};

async function logIn(email: string) {
  const agent = request.agent(api.app);
  const response = await agent.post('/api/v1/session').send({ email, password: PASSWORD });
  expect(response.status).toBe(200);
  const cookie = (response.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  // A session log-in always gets a CSRF token (only bearer calls have none).
  return { agent, csrf: (response.body as SessionInfo & { csrfToken: string }).csrfToken, cookie };
}

it('caps the streams of one user and of the process with 429 too_many_streams, and frees a place when a stream ends', async () => {
  const id = await newImport();
  const { token: viewer } = await api.tokens.create('viewer', 'viewer');
  const { token: other } = await api.tokens.create('other', 'viewer');
  const mine = [await watch(id, bearer(viewer)), await watch(id, bearer(viewer)), await watch(id, bearer(viewer))];

  const fourth = openStream(port, `/api/v1/imports/${id}/events`, bearer(viewer));
  await fourth.closed;
  expect(fourth.status()).toBe(429);
  expect((JSON.parse(fourth.text()) as ErrorBody).error).toMatchObject({ code: 'too_many_streams', details: { limit: 3, scope: 'user' } });

  const theirs = [await watch(id, bearer(other)), await watch(id, bearer(other))];
  const sixth = openStream(port, `/api/v1/imports/${id}/events`, bearer(api.token));
  await sixth.closed;
  expect(sixth.status()).toBe(429);
  expect((JSON.parse(sixth.text()) as ErrorBody).error).toMatchObject({ code: 'too_many_streams', details: { limit: 5, scope: 'all' } });

  await finish(id);
  await Promise.all([...mine, ...theirs].map((stream) => stream.closed));
  const again = await watch(id, bearer(viewer));
  await finish(id);
  await again.closed;
});

it('re-reads an import once for all the streams that watch it', async () => {
  const id = await newImport();
  const streams = [await watch(id, bearer(api.token)), await watch(id, bearer(api.token)), await watch(id, bearer(api.token))];
  expect(subscriber.watching()).toBe(1);
  const before = reads;
  await api.db.pool.query(`UPDATE "imports" SET "status" = 'processing', "progress_percent" = 40 WHERE "id" = $1`, [id]);
  publish(id);
  for (const stream of streams) await stream.next((e) => e.event === 'import' && (e.data as { status: string }).status === 'processing');
  expect(reads - before).toBe(1);
  await finish(id);
  await Promise.all(streams.map((stream) => stream.closed));
  expect(subscriber.watching()).toBe(0);
});

it('closes a stream when its token is revoked, at once through the API and at the next re-read when revoked elsewhere', async () => {
  const id = await newImport();
  const { token, id: tokenId } = await api.tokens.create('revoked here', 'viewer');
  const stream = await watch(id, bearer(token));
  expect((await api.http.delete(`/api/v1/tokens/${tokenId}`).set(bearer(api.token))).status).toBe(204);
  await stream.closed;
  expect(stream.events.map((e) => e.event)).toEqual(['import']);

  const { token: cliToken, id: cliTokenId } = await api.tokens.create('revoked by the CLI', 'viewer');
  const kept = await watch(id, bearer(api.token));
  const revoked = await watch(id, bearer(cliToken));
  await api.tokens.revoke(cliTokenId); // what `npm run cli -- token revoke` does, from another process
  publish(id);
  await revoked.closed;
  expect(kept.events.map((e) => e.event)).toEqual(['import']);
  expect(subscriber.watching()).toBe(1);
  await finish(id);
  await kept.closed;
});

it('closes the streams of a session at log-out, and those of a disabled user at the next re-read', async () => {
  const id = await newImport();
  const session = await logIn('viewer@example.com');
  const stream = await watch(id, { Cookie: session.cookie });
  expect((await session.agent.delete('/api/v1/session').set('X-CSRF-Token', session.csrf)).status).toBe(204);
  await stream.closed;

  const leaving = await logIn('leaving@example.com');
  const disabledStream = await watch(id, { Cookie: leaving.cookie });
  await api.users.disable('leaving@example.com'); // `npm run cli -- user disable`
  publish(id);
  await disabledStream.closed;
  expect(disabledStream.events.map((e) => e.event)).toEqual(['import']);
  await finish(id);
});

it('ends a stream at its maximum lifetime without `end`, so that the client reconnects', async () => {
  const short = await startApi({ app: { progressPollMs: 3_600_000, progressStreamMaxMs: 200 } });
  const shortServer = short.app.listen(0, '127.0.0.1');
  await once(shortServer, 'listening');
  try {
    const id = await recordImport(short.db.pool);
    const stream = openStream((shortServer.address() as AddressInfo).port, `/api/v1/imports/${id}/events`, bearer(short.token));
    await stream.closed;
    expect(stream.status()).toBe(200);
    expect(stream.events.map((e) => e.event)).toEqual(['import']);
    expect(stream.text()).toMatch(/^retry: \d+$/m);
  } finally {
    shortServer.close();
    await short.close();
  }
});
