/**
 * The admin UI in a real browser (Debian's Chromium through playwright-core) against the real API, an
 * in-process worker, PostgreSQL and Redis. Every wait is on a page event or a selector, never a sleep.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { ErrorBody, SyncAnswer } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';

const XSS = '<img src=x onerror=alert(1)>';

/** 140 companies: 60 with a SIREN failing its checksum, one with markup as its e-mail: 61 rejected rows. */
function companiesCsv(offset: number): { csv: string; rejected: number } {
  const rows: FixtureRow[] = [];
  for (let n = offset + 1; n <= offset + 140; n++) {
    const valid = sirenFor(n);
    if (n % 2 === 0 && n - offset <= 120)
      rows.push(companyRow(n, { siren: `${valid.slice(0, 8)}${(Number(valid[8]) + 1) % 10}`, siret: '' }));
    else if (n - offset === 7) rows.push(companyRow(n, { email_contact: XSS }));
    else rows.push(companyRow(n));
  }
  return { csv: toCsv(COMPANY_HEADERS, rows), rejected: 61 };
}

const goodCsv = (offset: number, count: number) =>
  toCsv(
    COMPANY_HEADERS,
    Array.from({ length: count }, (_, i) => companyRow(offset + i + 1)),
  );

/** Every form control of the page has an accessible name (a label, aria-label or text). */
async function expectLabelledControls(page: Page): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('input, select, textarea, button')]
      .filter((control) => {
        const labels = (control as HTMLInputElement).labels;
        return !(labels && labels.length > 0) && !control.getAttribute('aria-label') && !control.textContent?.trim();
      })
      .map((control) => control.outerHTML.slice(0, 120)),
  );
  expect(unlabelled).toEqual([]);
}

/** How much of a progress bar's track its fill covers, once its transition has run (1: full). */
async function filledShare(bar: Locator): Promise<number> {
  const fill = bar.locator('.progress-fill');
  await fill.evaluate((element) => Promise.all(element.getAnimations().map((animation) => animation.finished)));
  const [track, filled] = await Promise.all([bar.boundingBox(), fill.boundingBox()]);
  return (filled?.width ?? 0) / (track?.width ?? 1);
}

/** The status the import page shows, as the live stream last set it. */
const liveStatus = (page: Page, status: string) =>
  page
    .getByTestId('live-status')
    .filter({ hasText: new RegExp(`^${status}$`, 'i') })
    .waitFor();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ chunkSize: 50 });
  await stack.users.create({ email: 'admin@example.com', password: PASSWORD, role: 'admin' });
  await stack.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
  await stack.users.create({ email: 'viewer@example.com', password: PASSWORD, role: 'viewer' });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe('anonymous visitors', () => {
  it('are sent to the log-in page, which sends them back after logging in; API routes answer 401', async () => {
    const { page } = await stack.newPage();
    await page.goto('/admin/tokens');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-login.png'), animations: 'disabled' });
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(`/admin/login?next=${encodeURIComponent('/admin/tokens')}`);

    for (const route of ['/api/v1/imports', '/api/v1/stats', '/admin/queues/api/queues']) {
      const response = await page.request.get(route);
      expect({ route, status: response.status() }).toEqual({ route, status: 401 });
    }

    await expectLabelledControls(page);
    await page.getByLabel('E-mail').fill('admin@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
    // With the keyboard alone: the e-mail field has the focus, Tab reaches the password, Enter submits.
    await page.getByLabel('E-mail').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/tokens');
    await page.context().close();
  });
});

describe('an operator', () => {
  let page: Page;
  let dialogs: string[];
  let importId: string;
  beforeAll(async () => {
    ({ page, dialogs } = await stack.newPage());
    await stack.logIn(page, 'operator@example.com');
  });
  afterAll(() => page.context().close());

  it('uploads a CSV by drag and drop and watches its progress reach the end live', async () => {
    const { csv, rejected } = companiesCsv(0);
    await page.getByRole('link', { name: 'New import' }).first().click();
    await page.getByRole('heading', { name: 'New import' }).waitFor();

    const dataTransfer = await page.evaluateHandle((content) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], 'companies-november.csv', { type: 'text/csv' }));
      return transfer;
    }, csv);
    await page.dispatchEvent('.dropzone', 'drop', { dataTransfer });
    await page.getByText('companies-november.csv').waitFor();
    await page.getByLabel('Profile').selectOption('companies');
    await page.getByRole('radio', { name: /Upsert/ }).check();
    await expectLabelledControls(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-new-import.png'), animations: 'disabled' });

    // The first chunk commits, the second waits: the page must show the import running, then finishing,
    // from the stream alone.
    const held = stack.gate.holdAfter(1);
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.waitForURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
    importId = page.url().split('/').at(-1)!;
    await held.reached;
    await liveStatus(page, 'processing');
    await page.getByTestId('processed-rows').filter({ hasText: /^50$/ }).waitFor();
    expect(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuenow')).not.toBe('0');
    await page.getByText('Live', { exact: true }).waitFor();

    held.release();
    await liveStatus(page, 'completed with errors');
    await page.getByText('Final', { exact: true }).waitFor();
    expect(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(await filledShare(page.getByRole('progressbar', { name: 'Import progress' }))).toBeCloseTo(1, 2);
    await page.getByTestId('processed-rows').filter({ hasText: /^140$/ }).waitFor();
    const failed = page.locator('.total').filter({ hasText: 'Failed' }).locator('dd');
    expect(await failed.textContent()).toBe(String(rejected));
    // The detected dialect.
    await page.getByText('comma (,)').waitFor();
    await page
      .locator('dd')
      .filter({ hasText: /^UTF-8$/i })
      .first()
      .waitFor();
  });

  it('reads the row errors, paged, with every cell shown as text', async () => {
    const table = page.locator('.errors-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(50);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('3'); // row 3: the first bad SIREN
    const payload = table.getByText(XSS, { exact: true }); // (also among its error group's values)
    await payload.waitFor();
    expect(await payload.isVisible()).toBe(true);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await expectLabelledControls(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-import-detail.png'), fullPage: true, animations: 'disabled' });

    await page.getByRole('navigation', { name: 'Row error pages' }).getByRole('button', { name: /Next/ }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await table.locator('tbody tr').nth(11).waitFor({ state: 'detached' }); // page 2: the last 11 rows
    expect(await table.locator('tbody tr').count()).toBe(11);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('101');
  });

  // `GET /imports/:id/errors.csv` (docs/api.md): the header line, then one line per rejected row.
  it('downloads the rejected rows as CSV', async () => {
    const link = page.getByRole('link', { name: 'Download rejected rows (CSV)' });
    expect(await link.getAttribute('href')).toBe(`/api/v1/imports/${importId}/errors.csv`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(await download.failure()).toBeNull();
    const content = await readFile(await download.path(), 'utf8');
    const lines = content.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/error_column.*error_code.*error_message/);
    expect(lines).toHaveLength(1 + 61);
  });

  it('retries a failed import, which then completes', async () => {
    stack.gate.failNext();
    const id = await stack.uploadByApi(goodCsv(1_000, 80), 'retry-me.csv');
    await page.goto(`/admin/imports/${id}`);
    await liveStatus(page, 'failed');
    await page.getByRole('alert').filter({ hasText: 'internal_error' }).waitFor();
    await page.getByRole('button', { name: 'Retry import' }).click();
    await liveStatus(page, 'completed');
    await page.getByTestId('processed-rows').filter({ hasText: /^80$/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Retry import' }).count()).toBe(0);
  });

  it('cancels a running import (uploaded with the file chooser, from the keyboard)', async () => {
    await page.goto('/admin/imports/new');
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'cancel-me.csv', mimeType: 'text/csv', buffer: Buffer.from(goodCsv(2_000, 200)) });
    await page.getByText('cancel-me.csv').waitFor();
    const held = stack.gate.holdAfter(1);
    await page.getByRole('button', { name: 'Start import' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').at(-1)!;
    await held.reached;
    await liveStatus(page, 'processing');
    await page.getByRole('button', { name: 'Cancel import' }).focus();
    await page.keyboard.press('Enter');
    // The confirmation takes the focus.
    await page.getByRole('button', { name: 'Yes, cancel it' }).waitFor();
    await page.keyboard.press('Enter');
    await liveStatus(page, 'cancelled');
    held.release();
    await page.getByRole('button', { name: 'Retry import' }).waitFor();
    const record = await stack.imports.find(id);
    expect(record).toMatchObject({ status: 'cancelled', totals: { rows: 50 } });
  });

  it('sees the imports list with badges, progress, totals, author and age, and filters it', async () => {
    // A file without the required column fails at once: the list then shows every kind of ending.
    await stack.uploadByApi('name_x;description\nSoftware;Éditeurs\n', 'categories-without-nom.csv', 'categories');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Imports' }).click();
    const table = page.locator('.imports-table');
    await table.waitFor();
    await table.locator('tr').filter({ hasText: 'categories-without-nom.csv' }).getByText('Failed', { exact: true }).waitFor();
    const row = table.locator(`tr[data-import-id="${importId}"]`);
    await row.getByText('Completed with errors').waitFor();
    expect(await row.getByText('operator@example.com').count()).toBe(1);
    expect(await row.getByText('61 failed').count()).toBe(1);
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await filledShare(row.getByRole('progressbar'))).toBeCloseTo(1, 2);
    await page.locator('.stat').filter({ hasText: 'Imports today' }).getByText('4', { exact: true }).waitFor();

    await expectLabelledControls(page);
    await page.getByLabel('Status').selectOption('cancelled');
    await page.waitForURL(/status=cancelled/);
    await table.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    expect(await table.locator('tbody tr').count()).toBe(1);
    await table.getByText('cancel-me.csv').waitFor();
    await page.getByLabel('Status').selectOption('');
    await table.locator('tbody tr').nth(3).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-imports-list.png'), animations: 'disabled' });
    expect(dialogs).toEqual([]);
  });
});

describe('an admin', () => {
  it('opens Bull Board, with both queues and each job linking to its import page', async () => {
    const { page } = await stack.newPage();
    await stack.logIn(page, 'admin@example.com');
    await page.getByRole('link', { name: 'Queues (Bull Board)' }).click();
    await page.waitForURL('**/admin/queues');
    await page.getByText('Importer queues', { exact: true }).first().waitFor();
    await page
      .getByRole('link', { name: /^imports/ })
      .first()
      .waitFor();
    await page
      .getByRole('link', { name: /^cleanup/ })
      .first()
      .waitFor();

    await page.goto('/admin/queues/queue/imports?status=completed');
    const open = page.getByRole('link', { name: 'Open import' }).first();
    await open.waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'bull-board.png'), animations: 'disabled' });
    const href = await open.getAttribute('href');
    expect(href).toMatch(/^\/admin\/imports\/[0-9a-f-]{36}$/);
    await page.goto(href!);
    await page.getByTestId('live-status').waitFor();
    await page.context().close();
  });

  it('creates an API token shown once, and revokes it', async () => {
    const { page } = await stack.newPage();
    await stack.logIn(page, 'admin@example.com');
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('nightly-sync');
    await page.getByLabel('Role').selectOption('operator');
    await expectLabelledControls(page);
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByLabel(/Token for nightly-sync/);
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^imp_/);
    const call = () => fetch(`${stack.baseUrl}/api/v1/imports`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await call()).status).toBe(200);

    await page.getByRole('button', { name: 'Revoke nightly-sync' }).click();
    await page.getByRole('button', { name: 'Yes, revoke nightly-sync' }).click();
    await page.getByRole('cell', { name: /^revoked/ }).waitFor();
    expect((await call()).status).toBe(401);
    await page.context().close();
  });
});

describe('a viewer', () => {
  it('cannot upload, and sees Bull Board read-only', async () => {
    const { page } = await stack.newPage();
    await stack.logIn(page, 'viewer@example.com');
    expect(await page.getByRole('link', { name: 'New import' }).count()).toBe(0);
    await page.goto('/admin/imports/new');
    await page.getByText('Read-only access').waitFor();
    expect(await page.locator('input[type=file]').count()).toBe(0);

    // Even a hand-made request with the session's CSRF token is refused by role.
    const upload = await page.evaluate(async () => {
      const csrf = decodeURIComponent(/XSRF-TOKEN=([^;]+)/.exec(document.cookie)?.[1] ?? '');
      const form = new FormData();
      form.set('profile', 'companies');
      form.set('file', new File(['siren\n'], 'x.csv'));
      const response = await fetch('/api/v1/imports', { method: 'POST', body: form, headers: { 'X-CSRF-Token': csrf } });
      return { status: response.status, body: (await response.json()) as ErrorBody };
    });
    expect(upload).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });

    await page.getByRole('link', { name: 'Queues (Bull Board)' }).click();
    await page.getByText('Importer queues (read-only)', { exact: true }).first().waitFor();
    const pause = await page.evaluate(async () => {
      const csrf = decodeURIComponent(/XSRF-TOKEN=([^;]+)/.exec(document.cookie)?.[1] ?? '');
      return (await fetch('/admin/queues/api/queues/imports/pause', { method: 'PUT', headers: { 'X-XSRF-TOKEN': csrf } })).status;
    });
    expect(pause).toBe(403);
    expect(await stack.queue.isPaused()).toBe(false);
    await page.context().close();
  });
});

describe('a sync batch', () => {
  it('shows in the imports list with a sync badge, and its page calls it "sync batch"', async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/sync/companies`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rows: [companyRow(900), { siren: '1', nom: 'bad' }] }),
    });
    expect(response.status).toBe(200);
    const { importId } = (await response.json()) as SyncAnswer;

    const { page, dialogs } = await stack.newPage();
    await stack.logIn(page, 'admin@example.com');
    await page.goto('/admin/imports');
    const row = page.locator(`tr[data-import-id="${importId}"]`);
    await row.locator('.tag-sync').getByText('sync').waitFor();
    await row.getByText('Completed with errors').waitFor();
    await row.getByRole('link', { name: 'sync batch' }).click();
    await page.getByRole('heading', { level: 1, name: 'sync batch' }).waitFor();
    await page.waitForFunction(() => document.title === 'sync batch · Importer');
    expect(dialogs).toEqual([]);
    await page.context().close();
  });
});
