/**
 * Reverting an import from its page, in a real browser (Debian's Chromium through playwright-core) against
 * the real API, in-process import and revert workers, PostgreSQL and Redis: the Revert button first shows the
 * dry run's counts and asks to confirm, then the page follows the revert live to its counts.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv, pollUntil } from '@importer/testing';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ chunkSize: 50 });
  await stack.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
  await stack.users.create({ email: 'viewer@example.com', password: PASSWORD, role: 'viewer' });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

/** Uploads through the API and waits (on PostgreSQL, polled with a deadline) until the import completed. */
async function imported(csv: string, name: string): Promise<ImportView> {
  const id = await stack.uploadByApi(csv, name);
  const view = await pollUntil(
    () => stack.imports.find(id),
    (found) => found?.status === 'completed',
    `import ${id} completed`,
  );
  return view!;
}

const liveStatus = (page: Page, status: string) =>
  page
    .getByTestId('live-status')
    .filter({ hasText: new RegExp(`^${status}$`, 'i') })
    .waitFor();

const companies = async () => (await stack.db.pool.query<Record<string, unknown>>(`SELECT * FROM companies ORDER BY id`)).rows;

it('an operator previews a revert, confirms it and watches it end with its counts; the table is as before the import', async () => {
  await imported(
    toCsv(
      COMPANY_HEADERS,
      Array.from({ length: 150 }, (_, n) => companyRow(n)),
    ),
    'first.csv',
  );
  const before = await companies();
  // 120 companies renamed, 80 new ones: 200 keys to revert, in chunks of 50.
  const changes = await imported(
    toCsv(COMPANY_HEADERS, [
      ...Array.from({ length: 120 }, (_, n) => companyRow(n, { nom: `Société ${n} renommée` })),
      ...Array.from({ length: 80 }, (_, n) => companyRow(1000 + n)),
    ]),
    'changes.csv',
  );
  expect(changes.totals).toMatchObject({ created: 80, updated: 120 });

  const { page, dialogs } = await stack.newPage();
  try {
    // A viewer sees no Revert button.
    await stack.logIn(page, 'viewer@example.com');
    await page.goto(`/admin/imports/${changes.id}`);
    await liveStatus(page, 'completed');
    expect(await page.getByRole('button', { name: 'Revert import' }).count()).toBe(0);
    await page.getByRole('button', { name: /log out/i }).click();

    await stack.logIn(page, 'operator@example.com');
    await page.goto(`/admin/imports/${changes.id}`);
    await liveStatus(page, 'completed');
    await page.getByRole('button', { name: 'Revert import' }).click();

    // The dry run's counts, and nothing changed yet.
    const preview = page.getByTestId('revert-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/200 to revert, 0 kept .*, 0 that cannot be reverted\./);
    expect((await stack.imports.find(changes.id))?.status).toBe('completed');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-revert-preview.png'), animations: 'disabled' });

    await page.getByRole('button', { name: 'Yes, revert it' }).click();
    await liveStatus(page, 'reverted');
    const panel = page.getByTestId('revert-panel');
    await panel.getByTestId('revert-reverted').filter({ hasText: /200$/ }).waitFor();
    expect(await panel.getByTestId('revert-keys').locator('dd').textContent()).toBe('200');
    expect(await panel.getByTestId('revert-done').locator('dd').textContent()).toBe('200');
    expect(await panel.getByTestId('revert-kept').locator('dd').textContent()).toBe('0');
    expect(await panel.getByTestId('revert-failed').locator('dd').textContent()).toBe('0');
    expect(await page.getByRole('progressbar', { name: 'Revert progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(await page.getByRole('button', { name: 'Revert import' }).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-reverted.png'), animations: 'disabled', fullPage: true });

    expect(await companies()).toEqual(before);
    expect(dialogs).toEqual([]);
  } finally {
    await page.context().close();
  }
});
