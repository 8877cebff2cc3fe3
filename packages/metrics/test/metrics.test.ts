import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createImportsQueue, createRedis, type ImportsQueue } from '@importer/queue';
import { parsePrometheusText, redisUrl, sampleValue, samplesOf, uniquePrefix, type Sample } from '@importer/testing';
import type { Redis } from 'ioredis';
import { createMetrics, createMetricsServer, type Metrics } from '../src';

const scrape = async (metrics: Metrics): Promise<Sample[]> => parsePrometheusText((await metrics.render()).body);
const rows = (counts: Partial<Record<'created' | 'updated' | 'unchanged' | 'skipped' | 'failed', number>>) => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  ...counts,
});

describe('the series (README, "Metrics")', () => {
  it('counts committed rows by profile and outcome, times and sizes each chunk, and counts no rows of a dry run', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.chunkCommitted({ profile: 'companies', dryRun: false, rows: rows({ created: 1990, skipped: 2, failed: 8 }), seconds: 0.12 });
    metrics.chunkCommitted({ profile: 'companies', dryRun: false, rows: rows({ created: 5, updated: 3, unchanged: 2 }), seconds: 0.04 });
    metrics.chunkCommitted({ profile: 'companies', dryRun: true, rows: rows({ created: 700 }), seconds: 0.02 });
    metrics.chunkCommitted({ profile: 'categories', dryRun: false, rows: rows({ unchanged: 4 }), seconds: 0.01 });

    const samples = await scrape(metrics);
    const counted = (profile: string, outcome: string) => sampleValue(samples, 'importer_rows_total', { profile, outcome });
    expect(['created', 'updated', 'unchanged', 'skipped', 'failed'].map((outcome) => counted('companies', outcome))).toEqual([
      1995, 3, 2, 2, 8,
    ]);
    expect(counted('categories', 'unchanged')).toBe(4);
    expect(samplesOf(samples, 'importer_rows_total')).toHaveLength(6); // no series for an outcome that never happened
    expect(sampleValue(samples, 'importer_chunk_duration_seconds_count', { profile: 'companies' })).toBe(3);
    expect(sampleValue(samples, 'importer_chunk_duration_seconds_sum', { profile: 'companies' })).toBeCloseTo(0.18, 10);
    expect(sampleValue(samples, 'importer_chunk_duration_seconds_bucket', { profile: 'companies', le: '0.05' })).toBe(2);
    expect(sampleValue(samples, 'importer_chunk_duration_seconds_bucket', { profile: 'companies', le: '+Inf' })).toBe(3);
    // Each chunk's size, its rows of every outcome (a dry run's chunk too).
    expect(sampleValue(samples, 'importer_chunk_rows_count', { profile: 'companies' })).toBe(3);
    expect(sampleValue(samples, 'importer_chunk_rows_sum', { profile: 'companies' })).toBe(2000 + 10 + 700);
    expect(sampleValue(samples, 'importer_chunk_rows_bucket', { profile: 'companies', le: '100' })).toBe(1);
    expect(sampleValue(samples, 'importer_chunk_rows_bucket', { profile: 'companies', le: '1000' })).toBe(2);
  });

  it('counts finished imports by status, their duration from the record’s start and finish', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.importFinished({
      profile: 'companies',
      status: 'completed',
      startedAt: new Date('2026-01-01T10:00:00Z'),
      finishedAt: new Date('2026-01-01T10:01:30Z'),
    });
    metrics.importFinished({
      profile: 'companies',
      status: 'failed',
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:00:02.500Z',
    });
    // Cancelled while queued: it never started, so it has no duration.
    metrics.importFinished({ profile: 'companies', status: 'cancelled', startedAt: null, finishedAt: '2026-01-01T10:00:00.000Z' });

    const samples = await scrape(metrics);
    const finished = (status: string) => sampleValue(samples, 'importer_imports_finished_total', { profile: 'companies', status });
    expect([finished('completed'), finished('failed'), finished('cancelled'), finished('completed_with_errors')]).toEqual([1, 1, 1, 0]);
    expect(sampleValue(samples, 'importer_import_duration_seconds_count', { profile: 'companies' })).toBe(2);
    expect(sampleValue(samples, 'importer_import_duration_seconds_sum', { profile: 'companies' })).toBe(92.5);
    expect(sampleValue(samples, 'importer_import_duration_seconds_bucket', { profile: 'companies', le: '60' })).toBe(1);
  });

  it('counts sync answers, webhook attempts and HTTP requests with their labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.syncRequest('companies', 'partial_success');
    metrics.syncRequest('companies', 'partial_success');
    metrics.syncRequest('categories', 'success');
    metrics.webhookDelivery('failed');
    metrics.webhookDelivery('failed');
    metrics.webhookDelivery('succeeded');
    metrics.httpRequest({ method: 'GET', route: '/api/v1/imports/:id', status: 404, seconds: 0.003 });

    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'importer_sync_requests_total', { profile: 'companies', status: 'partial_success' })).toBe(2);
    expect(sampleValue(samples, 'importer_sync_requests_total', { profile: 'categories', status: 'success' })).toBe(1);
    expect(sampleValue(samples, 'importer_webhook_deliveries_total', { outcome: 'failed' })).toBe(2);
    expect(sampleValue(samples, 'importer_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(1);
    const labels = { method: 'GET', route: '/api/v1/imports/:id', status: '404' };
    expect(sampleValue(samples, 'importer_http_request_duration_seconds_count', labels)).toBe(1);
  });

  it('gives each registry its own series, with the process defaults unless turned off', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.syncRequest('companies', 'success');
    const [a, b] = await Promise.all([scrape(first), scrape(second)]);
    expect(sampleValue(a, 'importer_sync_requests_total', { profile: 'companies', status: 'success' })).toBe(1);
    expect(samplesOf(b, 'importer_sync_requests_total')).toEqual([]);
    expect(samplesOf(a, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samplesOf(a, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
    expect(samplesOf(await scrape(createMetrics({ defaultMetrics: false })), 'process_cpu_user_seconds_total')).toEqual([]);
  });
});

describe('queue gauges', () => {
  let redis: Redis;
  let queue: ImportsQueue;
  beforeAll(() => {
    redis = createRedis(redisUrl());
    queue = createImportsQueue({ connection: redis, prefix: uniquePrefix() });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  it('reads job counts and the oldest waiting job when scraped, from a snapshot cached briefly', async () => {
    const t0 = Date.now();
    let clock = t0;
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchQueues([queue], { cacheMs: 1_000, now: () => clock });

    let samples = await scrape(metrics);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(0);
    expect(samplesOf(samples, 'importer_queue_oldest_waiting_seconds')).toEqual([
      { name: 'importer_queue_oldest_waiting_seconds', labels: { queue: 'imports' }, value: 0 },
    ]);

    // The first added is the next to run: the oldest waiting.
    await queue.add('import-file', { importId: randomUUID() }, { timestamp: t0 - 60_000 });
    await queue.add('import-file', { importId: randomUUID() }, { timestamp: t0 - 10_000 });
    await queue.add('import-file', { importId: randomUUID() }, { timestamp: t0, delay: 3_600_000 });
    clock += 1_000;
    samples = await scrape(metrics);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(2);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'delayed' })).toBe(1);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'active' })).toBe(0);
    expect(sampleValue(samples, 'importer_queue_oldest_waiting_seconds', { queue: 'imports' })).toBe(61);

    // Within the cache time, scrapes answer from the same snapshot.
    await queue.add('import-file', { importId: randomUUID() }, { timestamp: t0 });
    clock += 999;
    samples = await scrape(metrics);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(2);
    clock += 1;
    samples = await scrape(metrics);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(3);
    expect(sampleValue(samples, 'importer_queue_oldest_waiting_seconds', { queue: 'imports' })).toBe(62);
  });

  it('leaves out of the scrape a queue whose Redis does not answer in time, and says so', async () => {
    // A server that accepts connections and never answers: a Redis that hangs.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const unanswered = createRedis(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    const lost = createImportsQueue({ connection: unanswered, prefix: uniquePrefix() });
    lost.on('error', () => undefined);
    const errors: string[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchQueues([lost, queue], { cacheMs: 0, timeoutMs: 300, onError: (name, error) => errors.push(`${name}: ${String(error)}`) });
    try {
      const samples = await scrape(metrics);
      // The queue that answered (same name, another prefix) is the only one reported.
      expect(samplesOf(samples, 'importer_queue_oldest_waiting_seconds')).toHaveLength(1);
      expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(3);
      expect(errors).toEqual(['imports: Error: no answer within 300 ms']);
    } finally {
      const closed = lost.close();
      unanswered.disconnect();
      await closed;
      for (const socket of sockets) socket.destroy();
      silent.close();
      await once(silent, 'close');
    }
  });
});

describe('a process’s own /metrics server', () => {
  it('serves the text format on a port picked for it, and requires the metrics token when one is set', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.webhookDelivery('succeeded');
    const server = createMetricsServer(metrics, { port: 0, host: '127.0.0.1', token: 'metrics-token-0123456789' });
    const port = await server.start();
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect(await anonymous.json()).toEqual({
        error: { code: 'unauthenticated', message: 'Metrics require Authorization: Bearer <METRICS_TOKEN>.', details: null },
      });
      const wrong = await fetch(url, { headers: { Authorization: 'Bearer metrics-token-0123456780' } });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_token');

      const scraped = await fetch(url, { headers: { Authorization: 'Bearer metrics-token-0123456789' } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(sampleValue(parsePrometheusText(await scraped.text()), 'importer_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(1);

      const elsewhere = await fetch(`http://127.0.0.1:${port}/`, { headers: { Authorization: 'Bearer metrics-token-0123456789' } });
      expect(elsewhere.status).toBe(404);
      expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await server.stop();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
