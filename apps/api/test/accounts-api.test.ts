import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { ApiTokenList, CreatedApiToken, ImportView, SessionInfo } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

const PASSWORD = 'correct horse battery';
const csv = toCsv(COMPANY_HEADERS, [companyRow(1)]);

let api: ApiHarness;
let adminDir: string;
beforeAll(async () => {
  // A stand-in for the built UI: these tests are about the server, not the app's pages.
  adminDir = await mkdtemp(path.join(tmpdir(), 'importer-admin-ui-'));
  await writeFile(path.join(adminDir, 'index.html'), '<!doctype html><title>Importer</title><div id="root"></div>');
  await mkdir(path.join(adminDir, 'assets'));
  await writeFile(path.join(adminDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  await writeFile(path.join(adminDir, 'assets', 'index-abc123.js.map'), '{"version":3,"sources":["../src/main.tsx"]}');
  api = await startApi({ app: { adminDir } });
  await api.users.create({ email: 'Admin@Example.com ', password: PASSWORD, role: 'admin' });
  await api.users.create({ email: 'operator@example.com', password: PASSWORD, role: 'operator' });
  await api.users.create({ email: 'viewer@example.com', password: PASSWORD, role: 'viewer' });
});
afterAll(async () => {
  await api.close();
  await rm(adminDir, { recursive: true, force: true });
});

/** A browser-like client: keeps cookies, logs in, sends the CSRF token it was given. */
async function logIn(email: string, password = PASSWORD) {
  const agent = request.agent(api.app);
  const response = await agent.post('/api/v1/session').send({ email, password });
  expect(response.status).toBe(200);
  // A session log-in always gets a CSRF token (only bearer calls have none).
  return { agent, csrf: (response.body as SessionInfo & { csrfToken: string }).csrfToken, response };
}

const cookies = (response: { headers: Record<string, unknown> }) => (response.headers['set-cookie'] as string[] | undefined) ?? [];

describe('log-in, session and log-out', () => {
  it('logs in with e-mail and password into a server-side session held by an httpOnly, SameSite cookie', async () => {
    const { agent, csrf, response } = await logIn('admin@example.com');
    expect(response.body).toMatchObject({ principal: { name: 'admin@example.com', role: 'admin' }, authenticatedBy: 'session' });
    expect(csrf).toMatch(/\w{20,}/);
    const session = cookies(response).find((cookie) => cookie.startsWith('importer.sid='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Secure/); // plain HTTP here
    const sid = decodeURIComponent(session!.split(';')[0]!.split('=')[1]!).slice(2).split('.')[0];
    const stored = await api.db.pool.query('SELECT "data", "user_id" FROM "sessions" WHERE "sid" = $1', [sid]);
    expect(stored.rows).toHaveLength(1);
    expect(JSON.stringify(stored.rows[0])).not.toContain(PASSWORD);

    const me = await agent.get('/api/v1/session');
    expect(me.body).toMatchObject({ principal: { name: 'admin@example.com', role: 'admin' }, csrfToken: csrf });
    expect((await agent.get('/api/v1/imports')).status).toBe(200);
  });

  it('marks the cookie Secure when the request came over TLS through the trusted proxy', async () => {
    const response = await request(api.app)
      .post('/api/v1/session')
      .set('X-Forwarded-Proto', 'https')
      .send({ email: 'viewer@example.com', password: PASSWORD });
    expect(response.status).toBe(200);
    expect(cookies(response).find((cookie) => cookie.startsWith('importer.sid='))).toMatch(/Secure/);
  });

  it.each([
    ['a wrong password', { email: 'admin@example.com', password: 'wrong password' }],
    ['an unknown e-mail', { email: 'nobody@example.com', password: PASSWORD }],
  ])('refuses %s with the same 401 and no session', async (_what, body) => {
    const response = await request(api.app).post('/api/v1/session').send(body);
    expect(response.status).toBe(401);
    expect(errorOf(response)).toMatchObject({ code: 'invalid_credentials' });
    expect(cookies(response).some((cookie) => cookie.startsWith('importer.sid='))).toBe(false);
  });

  it('accepts credentials only as JSON, which a cross-site form cannot send', async () => {
    const response = await request(api.app).post('/api/v1/session').type('form').send({ email: 'admin@example.com', password: PASSWORD });
    expect(response.status).toBe(415);
  });

  it('refuses a state-changing request from the session without its CSRF token', async () => {
    const { agent, csrf } = await logIn('operator@example.com');
    const without = await agent.post('/api/v1/imports').field('profile', 'companies').attach('file', Buffer.from(csv), 'companies.csv');
    expect(without.status).toBe(403);
    expect(errorOf(without)?.code).toBe('invalid_csrf_token');
    const forged = await agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', `${csrf.slice(0, -4)}abcd`)
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'companies.csv');
    expect(forged.status).toBe(403);
    const accepted = await agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', csrf)
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'companies.csv');
    expect(accepted.status).toBe(202);
    expect((accepted.body as ImportView).createdBy).toBe('operator@example.com');
  });

  it("does not accept one session's CSRF token in another session", async () => {
    const first = await logIn('operator@example.com');
    const second = await logIn('operator@example.com');
    const response = await second.agent.delete('/api/v1/session').set('X-CSRF-Token', first.csrf);
    expect(response.status).toBe(403);
  });

  it('logs out: the session row is deleted and the cookie no longer authenticates', async () => {
    const { agent, csrf } = await logIn('viewer@example.com');
    const sessions = async () => (await api.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "sessions"')).rows[0]?.n;
    const before = await sessions();
    expect((await agent.delete('/api/v1/session').set('X-CSRF-Token', csrf)).status).toBe(204);
    expect(await sessions()).toBe(before! - 1);
    const response = await agent.get('/api/v1/imports');
    expect(response.status).toBe(401);
  });

  it('ends the sessions of a disabled user', async () => {
    await api.users.create({ email: 'leaver@example.com', password: PASSWORD, role: 'operator' });
    const { agent } = await logIn('leaver@example.com');
    expect(await api.users.disable('LEAVER@example.com')).toBe(true);
    expect((await agent.get('/api/v1/imports')).status).toBe(401);
    expect((await request(api.app).post('/api/v1/session').send({ email: 'leaver@example.com', password: PASSWORD })).status).toBe(401);
  });
});

describe('roles', () => {
  it('lets a viewer read but not upload', async () => {
    const { agent, csrf } = await logIn('viewer@example.com');
    expect((await agent.get('/api/v1/imports')).status).toBe(200);
    const upload = await agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', csrf)
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'companies.csv');
    expect(upload.status).toBe(403);
    expect((await agent.get('/api/v1/tokens')).status).toBe(403);
  });

  it('lets an admin create, list and revoke API tokens; a revoked token stops working', async () => {
    const { agent, csrf } = await logIn('admin@example.com');
    const response = await agent.post('/api/v1/tokens').set('X-CSRF-Token', csrf).send({ name: 'nightly-sync', role: 'operator' });
    expect(response.status).toBe(201);
    const created = response.body as CreatedApiToken;
    expect(created).toMatchObject({ name: 'nightly-sync', role: 'operator', revokedAt: null });
    expect(created.token).toMatch(/^imp_/);
    const listed = await agent.get('/api/v1/tokens');
    const item = (listed.body as ApiTokenList).items.find((token) => token.id === created.id);
    expect(item).toMatchObject({ name: 'nightly-sync', role: 'operator' });
    expect(JSON.stringify(listed.body)).not.toContain(created.token);

    const bearer = { Authorization: `Bearer ${created.token}` };
    expect((await request(api.app).get('/api/v1/imports').set(bearer)).status).toBe(200);
    expect((await agent.delete(`/api/v1/tokens/${created.id}`).set('X-CSRF-Token', csrf)).status).toBe(204);
    expect((await request(api.app).get('/api/v1/imports').set(bearer)).status).toBe(401);
    expect((await agent.delete(`/api/v1/tokens/${created.id}`).set('X-CSRF-Token', csrf)).status).toBe(404);
  });

  it('needs no CSRF token for bearer-token calls, cookie or not', async () => {
    const response = await request(api.app)
      .post('/api/v1/tokens')
      .set('Authorization', `Bearer ${api.token}`)
      .send({ name: 'script', role: 'viewer' });
    expect(response.status).toBe(201);
  });
});

describe('anonymous requests', () => {
  it.each([
    '/admin',
    '/admin/imports',
    '/admin/imports/2b1c1f0e-8a57-4a43-9d7c-1d2f3e4a5b6c',
    '/admin/tokens',
    '/admin/queues',
    '/admin/queues/queue/imports',
  ])('sends %s to the log-in page', async (page) => {
    const response = await request(api.app).get(page);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/admin/login?next=${encodeURIComponent(page)}`);
  });

  it('serves the log-in page itself, with a strict Content-Security-Policy', async () => {
    const response = await request(api.app).get('/admin/login');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/html/);
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/);
  });

  it('serves the built assets the log-in page needs, and 404 for a missing one', async () => {
    const asset = await request(api.app).get('/admin/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const missing = await request(api.app).get('/admin/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(errorOf(missing)?.code).toBe('not_found');
  });

  it('never serves source maps, even when a build left one', async () => {
    for (const map of ['/admin/assets/index-abc123.js.map', '/admin/assets/index-abc123.js.MAP', '/admin/assets/index-abc123.js.map/']) {
      const response = await request(api.app).get(map);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('sources');
    }
    const { agent } = await logIn('admin@example.com');
    expect((await agent.get('/admin/assets/index-abc123.js.map')).status).toBe(404);
  });

  it.each([
    '/api/v1/imports',
    '/api/v1/stats',
    '/api/v1/tokens',
    '/api/v1/session',
    '/admin/queues/api/queues',
    '/admin/queues/api/redis/stats',
  ])('answers %s with 401 JSON', async (route) => {
    const response = await request(api.app).get(route);
    expect(response.status).toBe(401);
    expect(errorOf(response)).toMatchObject({ code: 'unauthenticated' });
  });
});

/** What Bull Board's `GET /admin/queues/api/queues` answers, as far as these tests read it. */
interface BoardQueues {
  queues: { name: string; readOnlyMode: boolean; jobs: { id: string; data: unknown; externalUrl?: { href: string } }[] }[];
}

describe('Bull Board', () => {
  it('shows the imports, reverts, cleanup and webhooks queues to an admin, with job data as ids only and a link to each import', async () => {
    const importId = '5f0c8f43-3a6c-4d4e-9d0b-7b7e2a1c9f10';
    await api.queue.add('import-file', { importId, fileName: 'private-customers.csv' } as never, { jobId: importId });
    const { agent } = await logIn('admin@example.com');
    const page = await agent.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(cookies(page).some((cookie) => cookie.startsWith('XSRF-TOKEN='))).toBe(true);
    const response = await agent
      .get('/admin/queues/api/queues')
      .query({ activeQueue: 'imports', status: 'waiting', page: 1, jobsPerPage: 10 });
    expect(response.status).toBe(200);
    const { queues } = response.body as BoardQueues;
    expect(queues.map((queue) => queue.name).sort()).toEqual(['cleanup', 'imports', 'reverts', 'webhooks']);
    expect(queues.every((queue) => !queue.readOnlyMode)).toBe(true);
    const job = queues.find((queue) => queue.name === 'imports')?.jobs.find((item) => item.id === importId);
    expect(job?.data).toEqual({ importId });
    expect(job?.externalUrl?.href).toBe(`/admin/imports/${importId}`);
    expect(JSON.stringify(response.body)).not.toContain('private-customers');
  });

  it('is read-only for operators and viewers', async () => {
    for (const email of ['operator@example.com', 'viewer@example.com']) {
      const { agent, csrf } = await logIn(email);
      const response = await agent.get('/admin/queues/api/queues');
      expect(response.status).toBe(200);
      expect((response.body as BoardQueues).queues.every((queue) => queue.readOnlyMode)).toBe(true);
      const pause = await agent.put('/admin/queues/api/queues/imports/pause').set('X-CSRF-Token', csrf);
      expect(pause.status).toBe(403);
    }
    expect(await api.queue.isPaused()).toBe(false);
  });

  it('lets an admin act, with the CSRF token Bull Board sends from its cookie', async () => {
    const { agent, csrf } = await logIn('admin@example.com');
    expect((await agent.put('/admin/queues/api/queues/cleanup/pause')).status).toBe(403);
    const paused = await agent.put('/admin/queues/api/queues/cleanup/pause').set('X-XSRF-Token', csrf);
    expect(paused.status).toBe(200);
    expect((await agent.put('/admin/queues/api/queues/cleanup/resume').set('X-XSRF-Token', csrf)).status).toBe(200);
  });
});

describe('accounts', () => {
  it('keeps e-mails unique whatever their case, and passwords long enough', async () => {
    await expect(api.users.create({ email: 'ADMIN@example.com', password: PASSWORD, role: 'admin' })).rejects.toMatchObject({
      code: 'email_taken',
    });
    await expect(api.users.create({ email: 'short@example.com', password: 'short', role: 'admin' })).rejects.toMatchObject({
      code: 'weak_password',
    });
    expect(await api.users.ensure({ email: 'admin@example.com', password: 'another password', role: 'admin' })).toEqual({ created: false });
    const { rows } = await api.db.pool.query<{ password_hash: string }>('SELECT "password_hash" FROM "users" WHERE "email" = $1', [
      'admin@example.com',
    ]);
    expect(rows[0]?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('creates a user with `npm run cli -- user create`, the password read from stdin', async () => {
    const cli = spawn(
      path.resolve(__dirname, '../../../node_modules/.bin/tsx'),
      ['apps/cli/src/main.ts', 'user', 'create', '--email', 'cli@example.com', '--role', 'operator'],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { ...process.env, DATABASE_URL: api.db.url },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    cli.stdout.on('data', (chunk) => (output += String(chunk)));
    cli.stderr.on('data', (chunk) => (output += String(chunk)));
    cli.stdin.end(`${PASSWORD}\n`);
    const code = await new Promise((resolve) => cli.on('close', resolve));
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain('created user cli@example.com (operator');
    const { response } = await logIn('cli@example.com');
    expect((response.body as SessionInfo).principal).toMatchObject({ name: 'cli@example.com', role: 'operator' });
  });
});
