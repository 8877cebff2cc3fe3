/**
 * Outgoing webhooks (docs/api.md, "Webhooks"): the outbox written by the statement that finishes an import,
 * the signed deliveries (checked by the `standardwebhooks` reference verifier in a real receiver), retries
 * with one message id, 410, private addresses, redirects, timeouts, replays, the reconciler, and the
 * constant number of statements per finished import.
 */
import { webhookDeliveriesPageSchema, type ImportView, type WebhookDelivery, type WebhookEndpoint } from '@importer/contracts';
import { cancelImport, claimImport, finishImport, finishRevert, startRevert } from '@importer/db';
import { recordImport, recordingPool, testLogger, type SentStatement } from '@importer/testing';
import { createReconciler } from '../src/reconciler';
import { isPrivateAddress } from '../src/webhooks/target';
import { startWebhookStage, WEBHOOK_SECRET, type WebhookStage } from './support/webhook-stage';

jest.setTimeout(120_000);

let stage: WebhookStage;
beforeAll(async () => {
  stage = await startWebhookStage({ timeoutMs: 1_500 });
});
afterAll(async () => {
  await stage.close();
});

/** Endpoints are global: each test disables those of the tests before it. */
async function disableAllEndpoints() {
  await stage.db.pool.query(`UPDATE "webhook_endpoints" SET "enabled" = false`);
}
beforeEach(disableAllEndpoints);

const statuses = (delivery: WebhookDelivery) => delivery.attempts.map((attempt) => attempt.httpStatus);

it('delivers one signed message per enabled endpoint and to the import’s own webhookUrl, with the import record', async () => {
  const a = await stage.endpoint('/all/a');
  const b = await stage.endpoint('/all/b');
  const off = await stage.endpoint('/all/off');
  await stage.http.patch(`/api/v1/webhooks/${off.id}`).set(stage.auth).send({ enabled: false });
  const own = stage.receiver.route('/all/own', WEBHOOK_SECRET);

  const id = await stage.finishedImport({ webhookUrl: own });
  const deliveries = await stage.settled(id);
  expect(deliveries).toHaveLength(3);
  expect(deliveries.every((delivery) => delivery.state === 'succeeded')).toBe(true);
  expect(deliveries.map(statuses)).toEqual([[204], [204], [204]]);
  expect(new Set(deliveries.map((delivery) => delivery.endpointId))).toEqual(new Set([a.id, b.id, null]));
  expect(stage.receiver.requestsTo('/all/off')).toHaveLength(0);

  const record = (await stage.http.get(`/api/v1/imports/${id}`).set(stage.auth)).body as ImportView;
  expect(record.status).toBe('completed');
  for (const path of ['/all/a', '/all/b', '/all/own']) {
    const [request, ...more] = stage.receiver.requestsTo(path);
    expect(more).toHaveLength(0);
    expect(request?.verified.ok).toBe(true);
    const payload = (request!.verified as { payload: { type: string; timestamp: string; data: unknown } }).payload;
    expect(payload.type).toBe('import.finished');
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);
    // The record exactly as GET /imports/:id shows it.
    expect(payload.data).toEqual(record);
    expect(request!.headers['webhook-id']).toBe(deliveries.find((delivery) => delivery.url.endsWith(path))?.messageId);
    expect(request!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(request!.headers['content-type']).toBe('application/json');
  }
  // The endpoint's log shows its one delivery.
  const log = await stage.http.get(`/api/v1/webhooks/${a.id}/deliveries`).set(stage.auth);
  // The page is what its contract says, and no more.
  expect(webhookDeliveriesPageSchema.parse(log.body)).toEqual(log.body);
  expect((log.body as { items: WebhookDelivery[] }).items.map((delivery) => delivery.importId)).toEqual([id]);

  // Pages of an import's deliveries, newest first.
  const first = await stage.http.get(`/api/v1/imports/${id}/deliveries?limit=2`).set(stage.auth);
  const firstPage = first.body as { items: WebhookDelivery[]; nextCursor: string | null };
  expect(firstPage.items).toHaveLength(2);
  const second = await stage.http.get(`/api/v1/imports/${id}/deliveries?limit=2&cursor=${firstPage.nextCursor}`).set(stage.auth);
  const secondPage = second.body as { items: WebhookDelivery[]; nextCursor: string | null };
  expect(secondPage.nextCursor).toBeNull();
  expect([...firstPage.items, ...secondPage.items].map((delivery) => delivery.id).sort()).toEqual(
    deliveries.map((delivery) => delivery.id).sort(),
  );
});

it('retries a failing receiver on the schedule with one webhook-id, and fails a delivery after its last attempt', async () => {
  await stage.endpoint('/retry/flaky', 500, 503, 204);
  await stage.endpoint('/retry/down', 500);
  const id = await stage.finishedImport();
  const deliveries = await stage.settled(id);
  const flaky = deliveries.find((delivery) => delivery.url.endsWith('/flaky'))!;
  const down = deliveries.find((delivery) => delivery.url.endsWith('/down'))!;
  expect(flaky).toMatchObject({ state: 'succeeded', nextAttemptAt: null });
  expect(statuses(flaky)).toEqual([500, 503, 204]);
  expect(flaky.attempts.map((attempt) => attempt.error)).toEqual(['HTTP 500', 'HTTP 503', null]);
  const requests = stage.receiver.requestsTo('/retry/flaky');
  expect(requests).toHaveLength(3);
  expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([flaky.messageId]));
  expect(requests.every((request) => request.verified.ok)).toBe(true);
  // Schedule length + 1 attempts, then failed.
  expect(down).toMatchObject({ state: 'failed', nextAttemptAt: null });
  expect(statuses(down)).toEqual([500, 500, 500]);
});

it('disables an endpoint that answers 410 Gone, which an admin re-enables', async () => {
  const gone = await stage.endpoint('/gone', 410, 204);
  const first = await stage.settled(await stage.finishedImport());
  expect(first).toHaveLength(1);
  expect(first[0]?.state).toBe('failed');
  expect(statuses(first[0]!)).toEqual([410]);
  const list = (await stage.http.get('/api/v1/webhooks').set(stage.auth)).body as { items: WebhookEndpoint[] };
  const endpoint = list.items.find((item) => item.id === gone.id);
  expect(endpoint?.enabled).toBe(false);
  expect(endpoint?.disabledReason).toMatch(/^The receiver answered 410 Gone on /);

  expect(await stage.deliveriesOf(await stage.finishedImport())).toEqual([]);
  await stage.http.patch(`/api/v1/webhooks/${gone.id}`).set(stage.auth).send({ enabled: true });
  const again = await stage.settled(await stage.finishedImport());
  expect(again.map((delivery) => delivery.state)).toEqual(['succeeded']);
});

it('does not follow redirects: a 3xx is a failed attempt', async () => {
  const target = stage.receiver.route('/redirect/target', 'none');
  await stage.endpoint('/redirect/from', { status: 302, location: target });
  const [delivery] = await stage.settled(await stage.finishedImport());
  expect(delivery).toMatchObject({ state: 'failed' });
  expect(statuses(delivery!)).toEqual([302, 302, 302]);
  expect(delivery!.attempts[0]!.error).toMatch(/redirects are not followed/);
  expect(stage.receiver.requestsTo('/redirect/target')).toHaveLength(0);
});

it('gives up an attempt past WEBHOOK_TIMEOUT_MS', async () => {
  await stage.endpoint('/slow', 'hang', 204);
  const [delivery] = await stage.settled(await stage.finishedImport());
  expect(delivery).toMatchObject({ state: 'succeeded' });
  expect(statuses(delivery!)).toEqual([null, 204]);
  expect(delivery!.attempts[0]!.error).toBe('no answer within 1500 ms');
  expect(delivery!.attempts[0]!.durationMs).toBeGreaterThanOrEqual(1_400);
});

it('replays a delivery: the same message, with the same webhook-id, sent again', async () => {
  await stage.endpoint('/replay');
  const id = await stage.finishedImport();
  const [delivery] = await stage.settled(id);
  expect(delivery?.state).toBe('succeeded');
  stage.forget([delivery!.id]);
  const replay = await stage.http.post(`/api/v1/webhook-deliveries/${delivery!.id}/replay`).set(stage.auth);
  expect(replay.status).toBe(202);
  expect(replay.body).toMatchObject({ id: delivery!.id, messageId: delivery!.messageId, state: 'pending' });
  await stage.jobsEnded([delivery!.id]);
  const [replayed] = await stage.deliveriesOf(id);
  expect(replayed).toMatchObject({ state: 'succeeded', messageId: delivery!.messageId });
  expect(statuses(replayed!)).toEqual([204, 204]);
  const requests = stage.receiver.requestsTo('/replay');
  expect(requests.map((request) => request.headers['webhook-id'])).toEqual([delivery!.messageId, delivery!.messageId]);
  expect(requests[1]!.body).toBe(requests[0]!.body);
  expect(requests.every((request) => request.verified.ok)).toBe(true);
});

it('records deliveries for a cancelled import too (the cancel’s own statement)', async () => {
  await stage.endpoint('/cancelled');
  const id = await recordImport(stage.db.pool);
  const cancel = await stage.http.post(`/api/v1/imports/${id}/cancel`).set(stage.auth);
  expect(cancel.status).toBe(200);
  const [delivery] = await stage.settled(id);
  expect(delivery?.state).toBe('succeeded');
  const [request] = stage.receiver.requestsTo('/cancelled');
  expect((request!.verified as { payload: { data: ImportView } }).payload.data).toEqual(cancel.body);
  // A cancel that is refused records nothing.
  expect(await cancelImport(stage.db.pool, id)).toEqual({ outcome: 'conflict', status: 'cancelled' });
  expect(await stage.deliveriesOf(id)).toHaveLength(1);
});

it('records deliveries for a reverted import too (the end of its revert is a final status)', async () => {
  await stage.endpoint('/reverted');
  const id = await stage.finishedImport();
  expect(await startRevert(stage.db.pool, id, { retainDays: 30, requestedBy: 'admin' })).toEqual({ outcome: 'done' });
  expect(await finishRevert(stage.db.pool, id)).toBe(true);
  const deliveries = await stage.settled(id);
  expect(deliveries.map((delivery) => delivery.state)).toEqual(['succeeded', 'succeeded']);
  const record = (await stage.http.get(`/api/v1/imports/${id}`).set(stage.auth)).body as ImportView;
  const sent = stage.receiver
    .requestsTo('/reverted')
    .map((request) => (request.verified as { payload: { data: ImportView } }).payload.data);
  expect(sent.map((data) => data.status).sort()).toEqual(['completed', 'reverted']);
  expect(sent.find((data) => data.status === 'reverted')).toEqual(record);
  // A revert that was not running finishes nothing and records nothing.
  expect(await finishRevert(stage.db.pool, id)).toBe(false);
  expect(await stage.deliveriesOf(id)).toHaveLength(2);
});

it('records deliveries in the finishing transaction: none if it rolls back, sent once it commits', async () => {
  await stage.endpoint('/transaction');
  const client = await stage.db.pool.connect();
  try {
    const rolledBack = await recordImport(stage.db.pool);
    await claimImport(stage.db.pool, rolledBack);
    await client.query('BEGIN');
    expect(await finishImport(client, rolledBack, 'completed')).toBe(true);
    await client.query('ROLLBACK');
    expect((await stage.imports.find(rolledBack))?.status).toBe('processing');
    expect(await stage.deliveriesOf(rolledBack)).toEqual([]);

    const committed = await recordImport(stage.db.pool);
    await claimImport(stage.db.pool, committed);
    await client.query('BEGIN');
    expect(await finishImport(client, committed, 'failed', { code: 'timeout', message: 'too long' })).toBe(true);
    // Not visible outside the transaction until it commits.
    expect(await stage.deliveriesOf(committed)).toEqual([]);
    await client.query('COMMIT');
    const [delivery] = await stage.settled(committed);
    expect(delivery?.state).toBe('succeeded');
    const [request] = stage.receiver.requestsTo('/transaction');
    const data = (request!.verified as { payload: { data: ImportView } }).payload.data;
    expect(data).toMatchObject({ id: committed, status: 'failed', error: { code: 'timeout', message: 'too long' } });
  } finally {
    client.release();
  }
});

it('finishes N imports in N statements, deliveries included, whether 1 or 5 endpoints listen', async () => {
  const count = async (endpoints: number) => {
    await disableAllEndpoints();
    for (let i = 0; i < endpoints; i++) await stage.endpoint(`/constant/${endpoints}/${i}`);
    const sent: SentStatement[] = [];
    const pool = recordingPool(stage.db.pool, sent);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await stage.finishedImport({ webhookUrl: stage.receiver.route('/constant/own', WEBHOOK_SECRET) }, pool));
    const { rows } = await stage.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "webhook_deliveries" WHERE "import_id" = ANY($1::uuid[])`,
      [ids],
    );
    await Promise.all(ids.map((id) => stage.settled(id)));
    return { statements: sent.length, deliveries: rows[0]!.n };
  };
  const one = await count(1);
  const five = await count(5);
  expect(one).toEqual({ statements: 5, deliveries: 5 * 2 });
  expect(five).toEqual({ statements: 5, deliveries: 5 * 6 });
});

it('the reconciler enqueues a pending delivery whose job Redis lost', async () => {
  await stage.endpoint('/reconciled');
  const id = await stage.finishedImport();
  const [delivery] = await stage.settled(id);
  // As if Redis lost it while pending: the job gone, the delivery pending and overdue.
  await (await stage.webhooksQueue.getJob(delivery!.id))?.remove();
  await stage.db.pool.query(
    `UPDATE "webhook_deliveries" SET "state" = 'pending', "next_attempt_at" = now() - interval '1 hour' WHERE "id" = $1`,
    [delivery!.id],
  );
  stage.forget([delivery!.id]);
  const reconciler = createReconciler({
    pool: stage.db.pool,
    queue: stage.importsQueue,
    logger: testLogger(),
    importAttempts: 1,
    intervalMs: 1_000,
    webhooks: { queue: stage.webhooksQueue, retrySchedule: [0.05] },
  });
  expect(await reconciler.reconcileDeliveriesOnce()).toBe(1);
  await stage.jobsEnded([delivery!.id]);
  expect(statuses((await stage.deliveriesOf(id))[0]!)).toEqual([204, 204]);
  expect(await reconciler.reconcileDeliveriesOnce()).toBe(0);
});

describe('private addresses', () => {
  let strict: WebhookStage;
  beforeAll(async () => {
    strict = await startWebhookStage({ allowPrivate: false });
  });
  afterAll(async () => {
    await strict.close();
  });

  it('refuses a receiver whose address, given or resolved, is not public, recording why, without retrying', async () => {
    const literal = await strict.endpoint('/private/literal');
    // A name (resolved by the request's own look-up) rather than an address.
    const named = await strict.http
      .post('/api/v1/webhooks')
      .set(strict.auth)
      .send({ url: `http://localhost:${strict.receiver.port}/private/name` });
    const deliveries = await strict.settled(await strict.finishedImport());
    expect(deliveries).toHaveLength(2);
    const ofLiteral = deliveries.find((delivery) => delivery.endpointId === literal.id)!;
    const ofName = deliveries.find((delivery) => delivery.endpointId === (named.body as WebhookEndpoint).id)!;
    for (const delivery of [ofLiteral, ofName]) {
      expect(delivery.state).toBe('failed');
      expect(statuses(delivery)).toEqual([null]);
    }
    expect(ofLiteral.attempts[0]!.error).toBe(
      'refused: 127.0.0.1 is a loopback, private, link-local or otherwise non-public address (WEBHOOK_ALLOW_PRIVATE is off)',
    );
    expect(ofName.attempts[0]!.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback, private/);
    expect(strict.receiver.received).toHaveLength(0);
  });

  it('knows the ranges', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.31.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });
});

describe('a delivery waiting for a retry', () => {
  let patient: WebhookStage;
  beforeAll(async () => {
    patient = await startWebhookStage({ retrySchedule: [3_600] });
  });
  afterAll(async () => {
    await patient.close();
  });

  it('waits the schedule’s delay, and a replay sends it at once', async () => {
    await patient.endpoint('/later', 500, 204);
    const id = await patient.finishedImport();
    const [pending] = await patient.deliveriesOf(id);
    await patient.jobDelayed(pending!.id);
    const [waiting] = await patient.deliveriesOf(id);
    expect(waiting).toMatchObject({ state: 'pending' });
    expect(statuses(waiting!)).toEqual([500]);
    const delay = Date.parse(waiting!.nextAttemptAt!) - Date.parse(waiting!.attempts[0]!.at);
    expect(delay).toBeGreaterThan(3_500_000);
    expect(delay).toBeLessThan(3_700_000);

    const replay = await patient.http.post(`/api/v1/webhook-deliveries/${pending!.id}/replay`).set(patient.auth);
    expect(replay.status).toBe(202);
    await patient.jobsEnded([pending!.id]);
    const [sent] = await patient.deliveriesOf(id);
    expect(sent).toMatchObject({ state: 'succeeded', nextAttemptAt: null });
    expect(statuses(sent!)).toEqual([500, 204]);
  });
});
