import type { z } from 'zod';
import {
  createdWebhookEndpointSchema,
  webhookDeliveriesPageSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  type CreatedWebhookEndpoint,
  type ImportView,
  type WebhookDeliveries,
  type WebhookEndpoint,
  type WebhookEndpointList,
} from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

const SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const csv = toCsv(COMPANY_HEADERS, [companyRow(1)]);

let api: ApiHarness;
let withoutSecret: ApiHarness;
beforeAll(async () => {
  [api, withoutSecret] = await Promise.all([startApi({ app: { webhookSecret: SECRET } }), startApi()]);
});
afterAll(async () => {
  await Promise.all([api.close(), withoutSecret.close()]);
});

/** The answer is what its contract says, and no more: parsing drops no field and changes none. */
function expectContract<S extends z.ZodType>(schema: S, response: { body: unknown }) {
  expect(schema.parse(response.body)).toEqual(response.body);
}

const asAdmin = (harness = api) => ({ Authorization: `Bearer ${harness.token}` });
async function bearerOf(role: 'operator' | 'viewer') {
  const { token } = await api.tokens.create(`webhooks-${role}`, role);
  return { Authorization: `Bearer ${token}` };
}
const upload = (harness: ApiHarness, fields: Record<string, string>) => {
  const req = harness.http.post('/api/v1/imports').set(asAdmin(harness)).field('profile', 'companies');
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('file', Buffer.from(csv), 'companies.csv');
};

describe('webhook endpoints (admins)', () => {
  it('creates an endpoint showing its secret once, lists it without, updates and deletes it', async () => {
    const created = await api.http
      .post('/api/v1/webhooks')
      .set(asAdmin())
      .send({ url: 'https://hooks.example.com/importer', description: 'CRM sync' });
    expect(created.status).toBe(201);
    expectContract(createdWebhookEndpointSchema, created);
    const endpoint = created.body as CreatedWebhookEndpoint;
    expect(endpoint).toMatchObject({
      url: 'https://hooks.example.com/importer',
      description: 'CRM sync',
      events: ['import.finished'],
      enabled: true,
      disabledReason: null,
    });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(endpoint.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const list = await api.http.get('/api/v1/webhooks').set(asAdmin());
    expectContract(webhookEndpointListSchema, list);
    const listed = (list.body as WebhookEndpointList).items.find((item) => item.id === endpoint.id);
    expect(listed).toEqual({ ...endpoint, secret: undefined });
    expect(JSON.stringify(list.body)).not.toContain(endpoint.secret);

    const disabled = await api.http.patch(`/api/v1/webhooks/${endpoint.id}`).set(asAdmin()).send({ enabled: false, description: null });
    expect(disabled.status).toBe(200);
    expectContract(webhookEndpointSchema, disabled);
    expect(disabled.body as WebhookEndpoint).toMatchObject({ enabled: false, description: null, disabledReason: 'Disabled by an admin' });
    const enabled = await api.http.patch(`/api/v1/webhooks/${endpoint.id}`).set(asAdmin()).send({ enabled: true });
    expect(enabled.body as WebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });

    const deliveries = await api.http.get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(asAdmin());
    expect(deliveries.body).toEqual({ items: [], nextCursor: null });
    expectContract(webhookDeliveriesPageSchema, deliveries);

    expect((await api.http.delete(`/api/v1/webhooks/${endpoint.id}`).set(asAdmin())).status).toBe(204);
    expect((await api.http.delete(`/api/v1/webhooks/${endpoint.id}`).set(asAdmin())).status).toBe(404);
    expect((await api.http.get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(asAdmin())).status).toBe(404);
  });

  it('refuses a URL that is not http(s), unknown events and unknown fields, naming each', async () => {
    for (const body of [
      { url: 'ftp://example.com/x' },
      { url: 'https://example.com', events: ['import.started'] },
      { url: 'https://a.example', secret: 'x' },
    ]) {
      const response = await api.http.post('/api/v1/webhooks').set(asAdmin()).send(body);
      expect(response.status).toBe(400);
      expect(errorOf(response)?.code).toBe('invalid_webhook');
      expect(Array.isArray(errorOf(response)?.details)).toBe(true);
    }
  });

  it('is for admins only; an import’s deliveries are for anyone who may read it', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const headers = await bearerOf(role);
      expect((await api.http.get('/api/v1/webhooks').set(headers)).status).toBe(403);
      expect((await api.http.post('/api/v1/webhooks').set(headers).send({ url: 'https://a.example' })).status).toBe(403);
      expect((await api.http.post(`/api/v1/webhook-deliveries/${crypto.randomUUID()}/replay`).set(headers)).status).toBe(403);
    }
    const imported = (await upload(api, {})).body as ImportView;
    const viewer = await bearerOf('viewer');
    const page = await api.http.get(`/api/v1/imports/${imported.id}/deliveries`).set(viewer);
    expect(page.status).toBe(200);
    expect(page.body as WebhookDeliveries).toEqual({ items: [], nextCursor: null });
    expect((await api.http.get(`/api/v1/imports/${crypto.randomUUID()}/deliveries`).set(viewer)).status).toBe(404);
    const badCursor = await api.http.get(`/api/v1/imports/${imported.id}/deliveries?cursor=nope`).set(viewer);
    expect([badCursor.status, errorOf(badCursor)?.code]).toEqual([400, 'invalid_cursor']);
    const badLimit = await api.http.get(`/api/v1/imports/${imported.id}/deliveries?limit=1000`).set(viewer);
    expect([badLimit.status, errorOf(badLimit)?.code]).toEqual([400, 'invalid_query']);
    expect((await api.http.post(`/api/v1/webhook-deliveries/${crypto.randomUUID()}/replay`).set(asAdmin())).status).toBe(404);
  });
});

describe('an upload’s own webhookUrl', () => {
  it('is stored and shown in the import record', async () => {
    const response = await upload(api, { webhookUrl: 'https://hooks.example.com/one?x=1' });
    expect(response.status).toBe(202);
    expect((response.body as ImportView).webhookUrl).toBe('https://hooks.example.com/one?x=1');
    const again = await api.http.get(`/api/v1/imports/${(response.body as ImportView).id}`).set(asAdmin());
    expect((again.body as ImportView).webhookUrl).toBe('https://hooks.example.com/one?x=1');
    expect(((await upload(api, {})).body as ImportView).webhookUrl).toBeNull();
  });

  it('must be an http(s) URL of at most 2,048 characters', async () => {
    for (const webhookUrl of ['file:///etc/passwd', `https://a.example/${'x'.repeat(2048)}`]) {
      const response = await upload(api, { webhookUrl });
      expect(response.status).toBe(400);
      expect(errorOf(response)).toMatchObject({ code: 'invalid_options', details: [expect.objectContaining({ field: 'webhookUrl' })] });
    }
  });

  it('is refused when the server has no WEBHOOK_SECRET to sign with', async () => {
    const response = await upload(withoutSecret, { webhookUrl: 'https://hooks.example.com/one' });
    expect(response.status).toBe(400);
    expect(errorOf(response)?.code).toBe('webhook_secret_missing');
    expect(await withoutSecret.storedFiles()).toEqual([]);
    expect((await upload(withoutSecret, {})).status).toBe(202);
  });
});
