import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, parsePrometheusText, sampleValue, samplesOf, toCsv, type Sample } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

const METRICS_TOKEN = 'metrics-token-for-the-test-0123';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('GET /metrics on the API (README, "Metrics")', () => {
  let api: ApiHarness;
  let started: number;
  beforeAll(async () => {
    started = Date.now();
    api = await startApi({ app: { queueMetricsCacheMs: 0 } }); // each scrape reads the queues afresh
  });
  afterAll(async () => {
    await api.close();
  });

  const auth = () => ({ Authorization: `Bearer ${api.token}` });
  const scrape = async (): Promise<Sample[]> => {
    const response = await api.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(response.text);
  };
  const upload = async (): Promise<ImportView> => {
    const response = await api.http
      .post('/api/v1/imports')
      .set(auth())
      .field('profile', 'companies')
      .attach('file', Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(1)])), 'c.csv');
    expect(response.status).toBe(202);
    return response.body as ImportView;
  };

  it('needs no session or API token when METRICS_TOKEN is unset, and carries the process defaults', async () => {
    const samples = await scrape();
    expect(samplesOf(samples, 'process_resident_memory_bytes')).toHaveLength(1);
    expect(samplesOf(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
  });

  it('times requests by the pattern of the route that matched, never by their path', async () => {
    const { id } = await upload();
    expect((await api.http.get(`/api/v1/imports/${id}`).set(auth())).status).toBe(200);
    // A 404 thrown by the matched route is still that route's.
    expect((await api.http.get(`/api/v1/imports/${UNKNOWN_ID}`).set(auth())).status).toBe(404);
    expect((await api.http.get('/api/v1/imports/not-a-uuid').set(auth())).status).toBe(404);
    expect((await api.http.get('/api/v1/no-such-route/123').set(auth())).status).toBe(404);
    expect((await api.http.get('/api/v1/no-such-route/456')).status).toBe(401);
    expect((await api.http.get('/healthz')).status).toBe(200);

    const samples = await scrape();
    const count = (method: string, route: string, status: number) =>
      sampleValue(samples, 'importer_http_request_duration_seconds_count', { method, route, status: String(status) });
    expect(count('POST', '/api/v1/imports', 202)).toBe(1);
    expect(count('GET', '/api/v1/imports/:id', 200)).toBe(1);
    expect(count('GET', '/api/v1/imports/:id', 404)).toBe(2);
    expect(count('GET', 'unmatched', 404)).toBe(1);
    expect(count('GET', 'unmatched', 401)).toBe(1);
    expect(count('GET', '/healthz', 200)).toBe(1);
    const routes = new Set(samplesOf(samples, 'importer_http_request_duration_seconds_count').map((sample) => sample.labels.route));
    expect([...routes].filter((route) => /[0-9a-f]{8}-|not-a-uuid|no-such-route/.test(route ?? ''))).toEqual([]);
  });

  it('shows the waiting jobs in the queue gauges, and counts a cancelled import', async () => {
    const { id } = await upload();
    let samples = await scrape();
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(2); // this one and the earlier test's
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'active' })).toBe(0);
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'cleanup', state: 'waiting' })).toBe(0);
    // The oldest is the earlier test's job, added after this file started.
    const oldest = sampleValue(samples, 'importer_queue_oldest_waiting_seconds', { queue: 'imports' });
    expect(oldest).toBeGreaterThan(0);
    expect(oldest).toBeLessThan((Date.now() - started) / 1000);
    expect(samplesOf(samples, 'importer_queue_oldest_waiting_seconds', { queue: 'cleanup' })[0]?.value).toBe(0);

    expect((await api.http.post(`/api/v1/imports/${id}/cancel`).set(auth())).status).toBe(200);
    samples = await scrape();
    expect(sampleValue(samples, 'importer_queue_jobs', { queue: 'imports', state: 'waiting' })).toBe(1); // its job removed
    expect(sampleValue(samples, 'importer_imports_finished_total', { profile: 'companies', status: 'cancelled' })).toBe(1);
    // It never started: no duration.
    expect(sampleValue(samples, 'importer_import_duration_seconds_count', { profile: 'companies' })).toBe(0);
  });
});

describe('GET /metrics with METRICS_TOKEN set', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ app: { metricsToken: METRICS_TOKEN } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('requires Authorization: Bearer <METRICS_TOKEN>, and nothing else opens it', async () => {
    const anonymous = await api.http.get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(errorOf(anonymous)).toEqual({
      code: 'unauthenticated',
      message: 'Metrics require Authorization: Bearer <METRICS_TOKEN>.',
      details: null,
    });
    // An API token, even an admin's, is not the metrics token.
    const apiToken = await api.http.get('/metrics').set({ Authorization: `Bearer ${api.token}` });
    expect(apiToken.status).toBe(401);
    expect(errorOf(apiToken)?.code).toBe('invalid_token');
    expect(errorOf(await api.http.get('/metrics').set({ Authorization: METRICS_TOKEN }))?.code).toBe('invalid_token');

    const scraped = await api.http.get('/metrics').set({ Authorization: `Bearer ${METRICS_TOKEN}` });
    expect(scraped.status).toBe(200);
    const samples = parsePrometheusText(scraped.text);
    expect(sampleValue(samples, 'importer_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '401' })).toBe(
      3,
    );
  });
});
