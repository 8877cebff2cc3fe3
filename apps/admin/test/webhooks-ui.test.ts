/**
 * The webhooks pages in a real browser (Debian's Chromium through playwright-core) against the real API, the
 * compiled worker (which imports the files and sends the webhooks), PostgreSQL, Redis and a real HTTP receiver
 * on 127.0.0.1 (hence `WEBHOOK_ALLOW_PRIVATE`). Every wait is on a page state or a received request, never a sleep.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import type { ImportView, WebhookEndpointList } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';
import { startWebhookReceiver, type ReceivedWebhook } from './webhook-receiver';

/** Signs deliveries to an import's own webhook URL (endpoints have secrets of their own). */
const OWN_URL_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

const companiesCsv = (offset: number, count: number) =>
  toCsv(
    COMPANY_HEADERS,
    Array.from({ length: count }, (_, i) => companyRow(offset + i + 1)),
  );

/** The status the import page shows, as the live stream last set it. */
const liveStatus = (page: Page, status: string) =>
  page
    .getByTestId('live-status')
    .filter({ hasText: new RegExp(`^${status}$`, 'i') })
    .waitFor();

/** The deliveries of the log on the page, and one of them in a given state. */
const deliveries = (page: Page) => page.locator('li.delivery');
const deliveryIn = (page: Page, state: string) => deliveries(page).filter({ has: page.locator(`.delivery-head [data-state="${state}"]`) });

/** Checks a received request's signature with the reference verifier and returns its payload. */
function verified(request: ReceivedWebhook, secret: string): { type: string; data: ImportView } {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  }) as { type: string; data: ImportView };
}

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({
    compiledWorker: {
      // The imports here are one user's, one running at a time: a waiting one is looked at again within
      // 0.2–1.6 s, not 5–40 s (nine uploads in a row otherwise took over a minute on a busy machine).
      env: {
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_SCHEDULE_S: '1',
        WEBHOOK_SECRET: OWN_URL_SECRET,
        IMPORTS_PER_USER_WAIT_MS: '200',
      },
    },
    app: { webhookSecret: OWN_URL_SECRET, webhookRetrySchedule: [1] },
  });
  await stack.users.create({ email: 'admin@example.com', password: PASSWORD, role: 'admin' });
  await stack.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

describe('webhooks in the admin UI', () => {
  let page: Page;
  let endpointUrl: string;
  let endpointSecret: string;
  let importId: string;
  beforeAll(async () => {
    ({ page } = await stack.newPage());
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.baseUrl });
    await stack.logIn(page, 'admin@example.com');
  });
  afterAll(() => page.context().close());

  it('an admin adds an endpoint and sees its secret once, with a copy button', async () => {
    endpointUrl = `${receiver.url}/hooks/crm`;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No endpoint yet.').waitFor();

    await page.getByLabel('URL', { exact: true }).fill(endpointUrl);
    await page.getByLabel('Description').fill('CRM sync');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByLabel(`Signing secret of ${endpointUrl}`);
    await secret.waitFor();
    endpointSecret = await secret.inputValue();
    expect(endpointSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    await page.getByText('Copy it now: you will not see it again.').waitFor();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(endpointSecret);

    const row = page.locator('.endpoints-table tbody tr').filter({ hasText: endpointUrl });
    await row.getByText('CRM sync').waitFor();
    await row.getByText('Enabled', { exact: true }).waitFor();
    await row.getByText('import.finished').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-webhooks.png'), animations: 'disabled' });

    // Once: neither the page read again nor the API shows it.
    await page.reload();
    await row.waitFor();
    expect(await page.getByLabel(/Signing secret/).count()).toBe(0);
    expect(await page.content()).not.toContain(endpointSecret);
    const listed = await page.request.get('/api/v1/webhooks');
    expect(await listed.text()).not.toContain(endpointSecret);
  });

  it('an import with a webhook URL of its own is delivered to it and to the endpoint, seen on the import page and the endpoint page', async () => {
    const ownUrl = `${receiver.url}/hooks/own`;
    await page.getByRole('link', { name: 'New import' }).first().click();
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'webhooked.csv', mimeType: 'text/csv', buffer: Buffer.from(companiesCsv(0, 30)) });
    await page.getByLabel('Webhook URL (optional)').fill(ownUrl);
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
    importId = page.url().split('/').at(-1)!;
    await liveStatus(page, 'completed');

    // The import's log: one delivery per target, each succeeded at its first attempt.
    await deliveryIn(page, 'succeeded').nth(1).waitFor();
    expect(await deliveries(page).count()).toBe(2);
    await receiver.waitForCount(2);
    const byPath = new Map(receiver.received.map((request) => [request.path, request]));
    const toEndpoint = byPath.get('/hooks/crm')!;
    const toOwnUrl = byPath.get('/hooks/own')!;
    for (const [request, secret] of [
      [toEndpoint, endpointSecret],
      [toOwnUrl, OWN_URL_SECRET],
    ] as const) {
      expect(verified(request, secret)).toMatchObject({ type: 'import.finished', data: { id: importId, status: 'completed' } });
      const shown = deliveries(page).filter({ hasText: String(request.headers['webhook-id']) });
      expect(await shown.locator('.attempt').count()).toBe(1);
      expect(await shown.locator('.attempt .http-status').textContent()).toBe('204');
    }
    await deliveries(page).filter({ hasText: ownUrl }).getByText("(the import's webhook URL)").waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-import-deliveries.png'), fullPage: true, animations: 'disabled' });

    // The endpoint's page, from the delivery's link: the same message, linking back to the import.
    await deliveries(page).getByRole('link', { name: endpointUrl }).click();
    await page.getByRole('heading', { name: endpointUrl, level: 1 }).waitFor();
    const onEndpoint = deliveryIn(page, 'succeeded').filter({ hasText: String(toEndpoint.headers['webhook-id']) });
    await onEndpoint.waitFor();
    expect(await deliveries(page).count()).toBe(1);
    expect(await onEndpoint.getByRole('link', { name: importId.slice(0, 8) }).getAttribute('href')).toBe(`/admin/imports/${importId}`);
  });

  it('a delivery failed on every attempt is replayed and succeeds, with the same message id', async () => {
    receiver.answer(500);
    const before = receiver.received.length;
    const id = await stack.uploadByApi(companiesCsv(100, 10), 'receiver-down.csv');
    await page.goto(`/admin/imports/${id}`);
    await liveStatus(page, 'completed');
    // WEBHOOK_RETRY_SCHEDULE_S=1: the first attempt and one retry, both refused.
    const failed = deliveryIn(page, 'failed');
    await failed.waitFor();
    expect(await failed.locator('.attempt').count()).toBe(2);
    expect(await failed.locator('.attempt .http-status').allTextContents()).toEqual(['500', '500']);
    const messageId = (await failed.locator('.delivery-message').textContent())!;
    expect(receiver.received.slice(before).map((request) => request.headers['webhook-id'])).toEqual([messageId, messageId]);

    receiver.answer(204);
    await failed.getByRole('button', { name: `Replay ${messageId}` }).click();
    const replayed = deliveryIn(page, 'succeeded').filter({ hasText: messageId });
    await replayed.waitFor();
    expect(await replayed.locator('.attempt .http-status').allTextContents()).toEqual(['500', '500', '204']);
    const last = receiver.received.at(-1)!;
    expect(last.headers['webhook-id']).toBe(messageId);
    expect(verified(last, endpointSecret)).toMatchObject({ type: 'import.finished', data: { id } });

    await page.goto('/admin/webhooks');
    await page.getByRole('link', { name: endpointUrl }).click();
    await deliveryIn(page, 'succeeded').filter({ hasText: messageId }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-webhook-endpoint.png'), fullPage: true, animations: 'disabled' });
  });

  it('an operator sees the deliveries of an import, without Replay, and no webhooks pages', async () => {
    const { page: operatorPage } = await stack.newPage();
    await stack.logIn(operatorPage, 'operator@example.com');
    expect(await operatorPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await operatorPage.goto('/admin/webhooks');
    await operatorPage.getByText('Only admins manage webhooks.').waitFor();

    await operatorPage.goto(`/admin/imports/${importId}`);
    await deliveryIn(operatorPage, 'succeeded').nth(1).waitFor();
    expect(await operatorPage.getByRole('button', { name: /^Replay/ }).count()).toBe(0);
    // The receiver is shown, not linked: the endpoint's page is for admins.
    expect(await deliveries(operatorPage).getByRole('link', { name: endpointUrl }).count()).toBe(0);
    await operatorPage.context().close();
  });

  it("pages through an endpoint's deliveries with the cursor", async () => {
    // Two deliveries so far; nine more imports make eleven: a page of ten, then one.
    const before = receiver.received.length;
    for (let n = 0; n < 9; n++) await stack.uploadByApi(companiesCsv(1_000 + n * 10, 2), `paged-${n}.csv`);
    await receiver.waitForCount(before + 9);

    await page.goto('/admin/webhooks');
    await page.getByRole('link', { name: endpointUrl }).click();
    await page.getByRole('heading', { name: endpointUrl, level: 1 }).waitFor();
    await deliveries(page).nth(9).waitFor();
    const firstPage = await deliveries(page).locator('.delivery-message').allTextContents();
    expect(firstPage).toHaveLength(10);

    const pager = page.getByRole('navigation', { name: 'Delivery pages' });
    await pager.getByRole('button', { name: /Next/ }).click();
    await pager.getByText('Page 2', { exact: true }).waitFor();
    await deliveries(page).nth(1).waitFor({ state: 'detached' });
    const secondPage = await deliveries(page).locator('.delivery-message').allTextContents();
    expect(secondPage).toHaveLength(1);
    expect(firstPage).not.toContain(secondPage[0]);
    expect(await pager.getByRole('button', { name: /Next/ }).isDisabled()).toBe(true);

    await pager.getByRole('button', { name: /Previous/ }).click();
    await deliveries(page).nth(9).waitFor();
    expect(await deliveries(page).locator('.delivery-message').allTextContents()).toEqual(firstPage);
  });

  it('an admin disables and enables the endpoint, then deletes it after a confirmation', async () => {
    await page.goto('/admin/webhooks');
    const row = page.locator('.endpoints-table tbody tr').filter({ hasText: endpointUrl });
    await row.getByRole('button', { name: `Disable ${endpointUrl}` }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await row.getByRole('button', { name: `Enable ${endpointUrl}` }).click();
    await row.getByText('Enabled', { exact: true }).waitFor();

    await row.getByRole('button', { name: `Delete ${endpointUrl}` }).click();
    await row.getByRole('button', { name: 'Keep' }).click();
    await row.getByRole('button', { name: `Delete ${endpointUrl}` }).click();
    await row.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByText('No endpoint yet.').waitFor();
    const listed = await fetch(`${stack.baseUrl}/api/v1/webhooks`, { headers: { Authorization: `Bearer ${stack.token}` } });
    expect(((await listed.json()) as WebhookEndpointList).items).toEqual([]);
  });

  it('a receiver answering 410 Gone disables its endpoint, the list says why, and an admin enables it again', async () => {
    const goneUrl = `${receiver.url}/hooks/gone`;
    await page.getByLabel('URL', { exact: true }).fill(goneUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel(`Signing secret of ${goneUrl}`).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByLabel(/Signing secret/).waitFor({ state: 'detached' });

    receiver.answer(410);
    const id = await stack.uploadByApi(companiesCsv(2_000, 3), 'receiver-gone.csv');
    await page.goto(`/admin/imports/${id}`);
    const gone = deliveryIn(page, 'failed');
    await gone.waitFor();
    expect(await gone.locator('.attempt .http-status').allTextContents()).toEqual(['410']);
    receiver.answer(204);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    const row = page.locator('.endpoints-table tbody tr').filter({ hasText: goneUrl });
    await row.getByText('Disabled', { exact: true }).waitFor();
    expect(await row.locator('.endpoint-reason').textContent()).toMatch(/410/);
    await row.getByRole('button', { name: `Enable ${goneUrl}` }).click();
    await row.getByText('Enabled', { exact: true }).waitFor();
    expect(await row.locator('.endpoint-reason').count()).toBe(0);
  });
});
