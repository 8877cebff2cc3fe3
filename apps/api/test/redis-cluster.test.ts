/**
 * The API on a Redis Cluster (REDIS_CLUSTER_NODES): six redis-server nodes, three masters and three
 * replicas, behind a password. An upload enqueues its job, the sync rate limit counts and Idempotency-Key
 * replays, live progress reaches a subscriber whichever node it is published on, finished jobs are swept
 * and Bull Board lists the queues; every key of the prefix hashes to one slot, and no node ever answered
 * CROSSSLOT (its `INFO errorstats`, which also counts the errors a caller swallowed).
 */
import { randomUUID } from 'node:crypto';
import { QueueEvents, Worker } from 'bullmq';
import request from 'supertest';
import {
  createProgressPublisher,
  createProgressSubscriber,
  createRedis,
  IMPORTS_QUEUE,
  progressChannel,
  sweepFinishedJobs,
  type ProgressSubscriber,
  type RedisConnection,
} from '@importer/queue';
import {
  COMPANY_HEADERS,
  companyRow,
  pollUntil,
  startTestRedisCluster,
  toCsv,
  uniquePrefix,
  type TestRedisCluster,
} from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

const PASSWORD = 'correct horse battery';
const DAY_MS = 24 * 3600 * 1000;

let cluster: TestRedisCluster;
let api: ApiHarness;
/** A connection that may block (BullMQ workers and queue events need one that does not fail fast). */
let blocking: RedisConnection;

beforeAll(async () => {
  cluster = await startTestRedisCluster({ password: 'cluster-secret' });
  blocking = createRedis(cluster.settings);
  api = await startApi({ redis: cluster.settings, app: { sync: { requestsPerMinute: 3 } } });
  await api.users.create({ email: 'admin@example.com', password: PASSWORD, role: 'admin' });
}, 120_000);
afterAll(async () => {
  await api?.queue.obliterate({ force: true }).catch(() => undefined);
  await api?.close();
  blocking?.disconnect();
  await cluster?.close();
});

const auth = () => ({ Authorization: `Bearer ${api.token}` });

describe('the API on a Redis Cluster', () => {
  it('takes REDIS_CLUSTER_NODES as a Cluster whose nodes it discovered', () => {
    expect(api.redis.isCluster).toBe(true);
    expect(api.queue.opts.prefix).toMatch(/^\{test-[0-9a-f-]+\}$/);
  });

  it('is ready (GET /readyz) with the cluster answering', async () => {
    const response = await api.http.get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ checks: { redis: 'ok' } });
  });

  it('enqueues an upload, with every key of the prefix in one slot', async () => {
    const csv = toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)], { delimiter: ';' });
    const response = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'c.csv');
    expect(response.status).toBe(202);
    const id = (response.body as { id: string }).id;
    expect(await api.queue.getJobState(id)).toBe('waiting');

    const keys = new Set<string>();
    for (const port of cluster.ports) for (const key of await cluster.node(port).keys(`${api.prefix}*`)) keys.add(key);
    expect(keys.size).toBeGreaterThan(2);
    const slots = new Set(await Promise.all([...keys].map((key) => cluster.node(cluster.ports[0]!).cluster('KEYSLOT', key))));
    expect(slots.size).toBe(1);
  });

  it('counts sync requests in the cluster (429 past the limit) and replays an Idempotency-Key', async () => {
    const sync = (rows: object[], key?: string) => {
      const req = api.http.post('/api/v1/sync/companies').set(auth());
      if (key) req.set('Idempotency-Key', key);
      return req.send({ rows });
    };
    const key = randomUUID();
    const first = await sync([companyRow(10)], key);
    expect(first.status).toBe(200);
    const replay = await sync([companyRow(10)], key);
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((replay.body as { importId: string }).importId).toBe((first.body as { importId: string }).importId);
    expect((await sync([companyRow(11)])).status).toBe(200);
    // The fourth request of the minute: refused, which it would not be if the store had failed (requests
    // then pass unlimited).
    const refused = await sync([companyRow(12)]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const { rows } = await api.db.pool.query<{ count: string }>('SELECT count(*) FROM companies');
    expect(Number(rows[0]?.count)).toBe(2);
  });

  it('wakes a progress subscriber with a message published on any node', async () => {
    const prefix = uniquePrefix();
    const subscriber: ProgressSubscriber = createProgressSubscriber(createRedis(cluster.settings), prefix);
    const publisher = createRedis(cluster.settings);
    try {
      const id = randomUUID();
      let heard = 0;
      subscriber.watch(id, { changed: () => heard++, closed: () => undefined });
      // Subscribed once the first message arrives (the subscription has no event of its own).
      await pollUntil(
        () => {
          createProgressPublisher(publisher, prefix).publish(id);
          return Promise.resolve(heard);
        },
        (count) => count > 0,
        'a progress message through the cluster',
      );
      const before = heard;
      for (const port of cluster.ports) await cluster.node(port).publish(progressChannel(prefix), id);
      await pollUntil(
        () => Promise.resolve(heard),
        (count) => count >= before + cluster.ports.length,
        'one message from each node',
      );
    } finally {
      await subscriber.close();
      publisher.disconnect();
    }
  });

  it('runs a BullMQ worker on the cluster, then sweeps its finished jobs', async () => {
    const events = new QueueEvents(IMPORTS_QUEUE, { connection: blocking, prefix: api.prefix });
    const worker = new Worker(IMPORTS_QUEUE, () => Promise.resolve('done'), { connection: blocking, prefix: api.prefix });
    try {
      await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
      const job = await api.queue.add('import-file', { importId: randomUUID() }, { jobId: randomUUID() });
      await job.waitUntilFinished(events, 60_000);
      expect(await api.queue.getJobState(job.id!)).toBe('completed');
      const removed = await sweepFinishedJobs([api.queue], new Date(Date.now() + 8 * DAY_MS));
      expect(removed).toBeGreaterThanOrEqual(2); // this job and the upload's, which the worker also ran
      expect(await api.queue.getJobState(job.id!)).toBe('unknown');
    } finally {
      await worker.close();
      await events.close();
    }
  });

  it('lists the queues in Bull Board', async () => {
    const agent = request.agent(api.app);
    expect((await agent.post('/api/v1/session').send({ email: 'admin@example.com', password: PASSWORD })).status).toBe(200);
    const response = await agent
      .get('/admin/queues/api/queues')
      .query({ activeQueue: 'imports', status: 'latest', page: 1, jobsPerPage: 10 });
    expect(response.status).toBe(200);
    const { queues } = response.body as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(['cleanup', 'imports', 'reverts', 'webhooks']);
    expect((await agent.get('/admin/queues/api/redis/stats')).status).toBe(200);
  });

  it('never had a CROSSSLOT answer from any node', async () => {
    for (const port of cluster.ports) {
      expect(await cluster.node(port).info('errorstats')).not.toMatch(/CROSSSLOT/);
    }
  });
});
