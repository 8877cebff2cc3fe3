/**
 * Fixing an import's rejected rows in the admin UI, in a real browser (Debian's Chromium through
 * playwright-core) against the real API, an in-process worker, PostgreSQL and Redis: the error groups, each
 * opening onto its rows, then download → correct → upload, the new import linked to the original and the
 * original listing what it fixed. Every wait is on a page event or a selector, never a sleep.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Papa from 'papaparse';
import type { Page } from 'playwright-core';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, type FixtureRow } from '@importer/testing';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';

/** 60 companies: 25 with a SIREN failing its checksum, 3 with a bad e-mail (28 rejected rows). */
function companiesCsv(): string {
  const rows: FixtureRow[] = [];
  for (let n = 1; n <= 60; n++) {
    const valid = sirenFor(n);
    if (n % 2 === 0 && n <= 50) rows.push(companyRow(n, { siren: `${valid.slice(0, 8)}${(Number(valid[8]) + 1) % 10}`, siret: '' }));
    else if (n === 53 || n === 55 || n === 57) rows.push(companyRow(n, { email_contact: `contact${n}-at-example.fr` }));
    else rows.push(companyRow(n));
  }
  return toCsv(COMPANY_HEADERS, rows);
}

/** The download with every rejected row's cells made valid again (the error columns left as they are). */
function corrected(download: string): string {
  const [header = [], ...lines] = Papa.parse<string[]>(download.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
  const at = (name: string) => header.indexOf(name);
  const fixed = lines.map((line) => {
    const n = Number(/(\d+)$/.exec(line[at('nom')] ?? '')?.[1]);
    const cells = [...line];
    cells[at('siren')] = sirenFor(n);
    cells[at('email_contact')] = String(companyRow(n).email_contact);
    return cells;
  });
  return Papa.unparse([header, ...fixed], { newline: '\r\n' });
}

const liveStatus = (page: Page, status: string) =>
  page
    .getByTestId('live-status')
    .filter({ hasText: new RegExp(`^${status}$`, 'i') })
    .waitFor();

let stack: Stack;
let parentId: string;
beforeAll(async () => {
  stack = await startStack({ chunkSize: 50 });
  await stack.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
  await stack.users.create({ email: 'viewer@example.com', password: PASSWORD, role: 'viewer' });
  parentId = await stack.uploadByApi(companiesCsv(), 'entreprises.csv');
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe('an operator fixing the rejected rows', () => {
  let page: Page;
  beforeAll(async () => {
    ({ page } = await stack.newPage());
    await stack.logIn(page, 'operator@example.com');
  });
  afterAll(() => page.context().close());

  it('sees what is wrong first, grouped, largest group first, each group opening onto its rows, paged', async () => {
    await page.goto(`/admin/imports/${parentId}`);
    await liveStatus(page, 'completed with errors');
    const groups = page.getByTestId('error-group');
    await groups.nth(1).waitFor();
    expect(await groups.count()).toBe(2);
    expect(await groups.nth(0).locator('.error-group-summary').textContent()).toBe(
      'error 25 rows: siren: must have a valid SIREN checksum (Luhn) — rows 3, 5, 7, 9, 11, …',
    );
    expect(await groups.nth(1).locator('.error-group-summary').textContent()).toBe(
      'error 3 rows: email_contact: must be an e-mail address such as contact@example.fr — rows 54, 56, 58',
    );
    expect(await groups.nth(1).locator('.error-group-values code').allTextContents()).toEqual([
      'contact53-at-example.fr',
      'contact55-at-example.fr',
      'contact57-at-example.fr',
    ]);
    // The groups come before the totals and the full list.
    const order = await page.locator('main h2').allTextContents();
    expect(order.indexOf('What is wrong')).toBeLessThan(order.findIndex((heading) => heading.startsWith('Totals')));

    const first = groups.nth(0);
    await first.getByRole('button', { name: 'Show the 25 rows' }).click();
    const rows = first.locator('tbody tr');
    await rows.nth(19).waitFor();
    expect(await rows.count()).toBe(20);
    expect(await rows.first().locator('td').first().textContent()).toBe('3');
    await first.getByRole('button', { name: /Next/ }).click();
    await first.getByText('Page 2', { exact: true }).waitFor();
    await rows.nth(5).waitFor({ state: 'detached' });
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(['43', '45', '47', '49', '51']);
    expect(await first.getByRole('button', { name: 'Hide the rows' }).getAttribute('aria-expanded')).toBe('true');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-error-groups.png'), fullPage: true, animations: 'disabled' });
    await first.getByRole('button', { name: 'Hide the rows' }).click();
    await rows.first().waitFor({ state: 'detached' });
  });

  it('downloads the rejected rows, uploads them corrected, and follows the new import back to the original', async () => {
    const link = page.getByRole('link', { name: 'Download rejected rows', exact: true });
    expect(await link.getAttribute('href')).toBe(`/api/v1/imports/${parentId}/errors.csv`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const content = await readFile(await download.path(), 'utf8');

    await page.getByLabel('Corrected file').setInputFiles({
      name: 'entreprises-corrected.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(corrected(content)),
    });
    await page.getByRole('button', { name: 'Upload the corrected file' }).click();
    await page.waitForURL((url) => /\/admin\/imports\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(parentId));
    const childId = page.url().split('/').at(-1)!;
    await page.getByRole('heading', { name: 'entreprises-corrected.csv' }).waitFor();
    await liveStatus(page, 'completed');
    expect(await page.locator('.total').filter({ hasText: 'Created' }).locator('dd').textContent()).toBe('28');
    expect(await page.locator('.total').filter({ hasText: 'Failed' }).locator('dd').textContent()).toBe('0');
    // No row is wrong any more; the error columns were not taken for unknown ones.
    expect(await page.getByTestId('error-group').count()).toBe(0);
    expect(await page.getByText('Ignored columns').count()).toBe(0);

    const back = page.getByRole('link', { name: 'entreprises.csv', exact: true });
    await back.waitFor();
    expect(await page.locator('.subtitle').textContent()).toContain('re-submission of entreprises.csv');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-resubmission.png'), fullPage: true, animations: 'disabled' });
    await back.click();
    await page.waitForURL((url) => url.pathname.endsWith(parentId));
    const row = page.getByRole('region', { name: 'Re-submissions' }).locator('tbody tr');
    await row.first().waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['Re-submission 1', 'Completed', '28', '0']);
    expect(await row.getByRole('link').getAttribute('href')).toBe(`/admin/imports/${childId}`);
  });

  it('is told in plain words when the corrected file is refused', async () => {
    await page.goto(`/admin/imports/${parentId}`);
    await page.getByLabel('Corrected file').setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
    await page.getByRole('button', { name: 'Upload the corrected file' }).click();
    await page.getByRole('alert').filter({ hasText: 'The corrected file was refused' }).filter({ hasText: 'is empty' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/imports/${parentId}`);
  });
});

describe('a viewer', () => {
  it('sees the error groups but cannot re-submit', async () => {
    const { page } = await stack.newPage();
    await stack.logIn(page, 'viewer@example.com');
    await page.goto(`/admin/imports/${parentId}`);
    await page.getByTestId('error-group').first().waitFor();
    await page.getByRole('heading', { name: 'Re-submissions' }).waitFor();
    expect(await page.getByRole('button', { name: 'Upload the corrected file' }).count()).toBe(0);
    expect(await page.getByLabel('Corrected file').count()).toBe(0);
    await page.context().close();
  });
});
