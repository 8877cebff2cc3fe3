/**
 * The API's documentation page in a real browser (Debian's Chromium): reached from the admin UI's
 * navigation, Swagger UI renders every operation of the OpenAPI document under the page's
 * Content-Security-Policy, with nothing refused and nothing fetched from another origin.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ARTIFACTS, PASSWORD, startStack, type Stack } from './stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  await stack.users.create({ email: 'docs-viewer@example.com', password: PASSWORD, role: 'viewer' });
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

it('"API docs" in the navigation opens /api/docs, which renders every operation of the document', async () => {
  const document = (await (await fetch(`${stack.baseUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, object> };
  const operations = Object.values(document.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);

  const { page } = await stack.newPage();
  await stack.logIn(page, 'docs-viewer@example.com');

  // From here on, the docs page: nothing refused (CSP), no script error, no request to another origin.
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const elsewhere: string[] = [];
  page.on('request', (sent) => {
    if (!sent.url().startsWith(stack.baseUrl) && !sent.url().startsWith('data:')) elsewhere.push(sent.url());
  });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API docs' }).click();
  await page.waitForURL('**/api/docs/');
  await page.getByRole('heading', { name: /Importer API/ }).waitFor();
  const blocks = page.locator('.opblock');
  await blocks.nth(operations - 1).waitFor();
  expect(await blocks.count()).toBe(operations);
  await page
    .locator('.opblock-summary-path', { hasText: /^\/imports\/\{id\}\/retry$/ })
    .first()
    .waitFor();

  // An operation opens with its parameters and its answers, the error body among them.
  await page
    .locator('.opblock-post .opblock-summary-path', { hasText: /^\/imports$/ })
    .first()
    .click();
  const upload = page.locator('.opblock-post.is-open').first();
  await expect(upload.locator('select option:checked').first().textContent()).resolves.toBe('multipart/form-data');
  await upload.locator('.responses-table .response[data-code="415"]').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'api-docs.png'), fullPage: false, animations: 'disabled' });
  await upload.screenshot({ path: path.join(ARTIFACTS, 'api-docs-upload.png'), animations: 'disabled' });

  expect(problems).toEqual([]);
  expect(elsewhere).toEqual([]);
});

it("the admin UI's bundle carries neither the document's generator nor Swagger UI (the API serves them)", async () => {
  const assets = path.resolve(__dirname, '../dist/assets');
  const scripts = (await readdir(assets)).filter((name) => name.endsWith('.js'));
  expect(scripts.length).toBeGreaterThan(0);
  for (const name of scripts) {
    const code = await readFile(path.join(assets, name), 'utf8');
    expect({ name, generator: code.includes('#/components/schemas/'), swaggerUi: /swagger/i.test(code) }).toEqual({
      name,
      generator: false,
      swaggerUi: false,
    });
  }
});
