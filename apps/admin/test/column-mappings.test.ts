/**
 * Column mappings in a real browser (Debian's Chromium through playwright-core) against the real API, an
 * in-process worker, PostgreSQL and Redis: a file whose headers the aliases do not match goes through the
 * mapping step and imports; the next file with the same headers imports by itself with the saved mapping;
 * the mapping is removed on its page. Every wait is on a page event or a selector, never a sleep.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { SavedMappingList } from '@importer/contracts';
import { companyRow, toCsv, type FixtureRow } from '@importer/testing';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';

const HEADERS = ['Numéro SIREN', 'Raison social', 'Ville', 'Remarque'];
function unknownHeadersCsv(from: number, count: number): string {
  const rows: FixtureRow[] = Array.from({ length: count }, (_, n) => {
    const row = companyRow(from + n);
    return { 'Numéro SIREN': row.siren ?? null, 'Raison social': row.nom ?? null, Ville: row.ville_nom ?? null, Remarque: 'à rappeler' };
  });
  return toCsv(HEADERS, rows, { delimiter: ';' });
}

let stack: Stack;
let page: Page;
beforeAll(async () => {
  stack = await startStack();
  await stack.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
  ({ page } = await stack.newPage());
  await stack.logIn(page, 'operator@example.com');
}, 180_000);
afterAll(async () => {
  await page?.context().close();
  await stack?.close();
});

const chooseFile = async (name: string, content: string) => {
  await page.goto('/admin/imports/new');
  await page.getByRole('heading', { name: 'New import' }).waitFor();
  await page.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) });
  await page.getByText(name).waitFor();
  await page.getByLabel('Profile').selectOption('companies');
};

/** Waits on the import page until the import is completed, and returns its record. */
const completedImport = async () => {
  await page.waitForURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').at(-1) ?? '';
  await page
    .getByTestId('live-status')
    .filter({ hasText: /^completed$/i })
    .waitFor();
  return stack.imports.find(id);
};

describe('column mappings in the admin UI', () => {
  it('maps the columns of a file with unknown headers, preselected with suggestions, and imports it', async () => {
    await chooseFile('societes-janvier.csv', unknownHeadersCsv(500, 3));
    await page.getByRole('button', { name: 'Start import' }).click();
    const step = page.getByRole('region', { name: 'Map the columns' });
    await step.waitFor();
    await step.getByText('missing: siren, nom').waitFor();

    // Suggestions: the alias and the closest name are preselected, and say where they come from.
    expect(await step.getByLabel('Column for Ville').inputValue()).toBe('ville_nom');
    expect(await step.getByLabel('Column for Raison social').inputValue()).toBe('nom');
    expect(await step.getByLabel('Column for Numéro SIREN').inputValue()).toBe('');
    const sourceOf = (header: string) =>
      step
        .getByRole('row')
        .filter({ has: page.getByText(header, { exact: true }) })
        .locator('td')
        .nth(2)
        .textContent();
    expect(await sourceOf('Ville')).toBe('name or alias');
    expect(await sourceOf('Raison social')).toBe('closest name');
    const confirm = step.getByRole('button', { name: 'Import with this mapping' });
    expect(await confirm.isDisabled()).toBe(true);
    await step.getByText('Still missing: siren.').waitFor();

    await step.getByLabel('Column for Numéro SIREN').selectOption('siren');
    expect(await step.getByRole('checkbox', { name: /Remember this mapping/ }).isChecked()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-mapping-step.png'), fullPage: true, animations: 'disabled' });
    await confirm.click();

    const record = await completedImport();
    expect(record).toMatchObject({ status: 'completed', totals: { rows: 3, created: 3 } });
    expect(record?.file.mappingSource).toBe('request');
    expect(record?.options.mapping).toEqual({ 'Numéro SIREN': 'siren', 'Raison social': 'nom' });
  });

  it('imports the next file with the same headers by itself, with the saved mapping', async () => {
    await chooseFile('societes-fevrier.csv', unknownHeadersCsv(600, 2));
    await page.getByRole('button', { name: 'Start import' }).click();
    const record = await completedImport();
    expect(record).toMatchObject({ status: 'completed', totals: { rows: 2, created: 2 } });
    expect(record?.file.mappingSource).toBe('saved');
    expect(record?.options.mapping).toBeUndefined();
    // The import's page says how its headers were matched.
    await page.getByText('with the saved column mapping').waitFor();
  });

  it('lists the saved mapping on its page, and removes it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Column mappings' }).click();
    await page.getByRole('heading', { name: 'Column mappings' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Numéro SIREN, Raison social, Ville, Remarque' });
    await row.waitFor();
    expect(await row.locator('td').first().textContent()).toBe('companies');
    await row.getByText('operator@example.com').waitFor();
    expect(await row.locator('li').allTextContents()).toEqual(['Numéro SIREN → siren', 'Raison social → nom']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-mappings.png'), fullPage: true, animations: 'disabled' });

    await row.getByRole('button', { name: /Remove the mapping of companies/ }).click();
    await page.getByRole('button', { name: 'Yes, remove' }).click();
    await page.getByText('No saved mapping yet.').waitFor();
    const response = await fetch(`${stack.baseUrl}/api/v1/mappings`, { headers: { Authorization: `Bearer ${stack.token}` } });
    expect(((await response.json()) as SavedMappingList).items).toEqual([]);
  });
});
