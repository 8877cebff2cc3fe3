/**
 * Webhooks through the worker users run (the compiled bundle, started as `npm run worker` starts it, its
 * settings from the environment): an uploaded file is imported, and its finish is delivered, signed, to an
 * endpoint and to the upload's own webhookUrl; a receiver that fails once gets the same message again.
 */
import type { CreatedWebhookEndpoint, ImportView, WebhookDelivery } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';
import { startReceiver, type Receiver } from './support/webhook-receiver';

const SECRET = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;

let h: FaultHarness;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  h = await startFaultHarness({
    fastHandover: false,
    app: { webhookSecret: SECRET },
    workerEnv: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE_S: '0.1', WEBHOOK_TIMEOUT_MS: '5000' },
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

it('delivers an imported file’s finish, signed, to an endpoint and to its webhookUrl, retrying with one webhook-id', async () => {
  const worker = await h.startWorker('webhooks');
  const endpointUrl = receiver.route('/compiled/endpoint', 'unknown yet', 503, 200);
  const created = await h.http.post('/api/v1/webhooks').set(h.auth).send({ url: endpointUrl });
  expect(created.status).toBe(201);
  receiver.secretOf('/compiled/endpoint', (created.body as CreatedWebhookEndpoint).secret);
  const own = receiver.route('/compiled/own', SECRET, 202);

  const uploaded = await h.upload(toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]), 'companies.csv', {
    profile: 'companies',
    webhookUrl: own,
  });
  const [endpointRequests, ownRequests] = await Promise.all([
    receiver.waitFor('/compiled/endpoint', 2),
    receiver.waitFor('/compiled/own', 1),
  ]);
  const record = await h.record(uploaded.id);
  expect(record.status).toBe('completed');
  expect(record.totals.created).toBe(2);
  for (const request of [...endpointRequests, ...ownRequests]) {
    expect(request.verified.ok).toBe(true);
    const payload = (request.verified as { payload: { type: string; data: ImportView } }).payload;
    expect(payload.type).toBe('import.finished');
    expect(payload.data).toEqual(record);
  }
  expect(endpointRequests[1]!.headers['webhook-id']).toBe(endpointRequests[0]!.headers['webhook-id']);
  expect(endpointRequests[1]!.body).toBe(endpointRequests[0]!.body);

  // The worker records each attempt after the answer: wait for its log of the last one.
  await worker.waitForLog((line) => line.msg === 'webhook attempt' && line.httpStatus === 200, 'the endpoint’s second attempt');
  await worker.waitForLog((line) => line.msg === 'webhook attempt' && line.httpStatus === 202, 'the webhookUrl’s attempt');
  const deliveries = (await h.http.get(`/api/v1/imports/${uploaded.id}/deliveries`).set(h.auth)).body as { items: WebhookDelivery[] };
  expect(
    deliveries.items
      .map((delivery) => ({ url: delivery.url, state: delivery.state, statuses: delivery.attempts.map((attempt) => attempt.httpStatus) }))
      .sort((a, b) => a.url.localeCompare(b.url)),
  ).toEqual([
    { url: endpointUrl, state: 'succeeded', statuses: [503, 200] },
    { url: own, state: 'succeeded', statuses: [202] },
  ]);
});
