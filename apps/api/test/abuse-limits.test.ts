import { loadApiConfig } from '@importer/config';
import type { UsersRepository } from '@importer/db';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

const csv = toCsv(COMPANY_HEADERS, [companyRow(1)]);

describe('UPLOADS_PER_HOUR whatever the spelling of the upload path', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ app: { uploadsPerHour: 1 } });
  });
  afterAll(() => api.close());

  const upload = (path: string, token: string) =>
    api.http
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'companies.csv');

  it.each(['/api/v1/imports/', '/api/v1/imports//', '/api/v1/IMPORTS', '/api/v1/Imports/', '/API/V1/imports'])(
    'counts an upload to %s and refuses the next one past the limit',
    async (path) => {
      // A fresh token each time: its allowance of one upload, then the variant under test.
      const { token } = await api.tokens.create(`uploader ${path}`, 'operator');
      expect((await upload('/api/v1/imports', token)).status).toBe(202);
      const limited = await upload(path, token);
      expect({ status: limited.status, code: errorOf(limited)?.code }).toEqual({ status: 429, code: 'too_many_uploads' });
      // And the other way round: the variant's upload counts for the plain path.
      const { token: second } = await api.tokens.create(`second ${path}`, 'operator');
      expect((await upload(path, second)).status).toBe(202);
      expect((await upload('/api/v1/imports', second)).status).toBe(429);
    },
  );

  it('accepts no upload at a path that does not reach the upload route', async () => {
    const { token } = await api.tokens.create('uploader', 'operator');
    expect((await upload('/api/v1/imports', token)).status).toBe(202);
    for (const path of ['/api/v1/imports///', '/api/v1//imports', '/api/v1/imports/./', '/api/v1/imports/%2F']) {
      expect((await upload(path, token)).status).not.toBe(202);
    }
  });
});

describe('failed log-ins from one address', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ app: { loginFailuresPerAddress: 5 } });
    await api.users.create({ email: 'real@example.com', password: 'the right password', role: 'viewer' });
  });
  afterAll(() => api.close());

  const logIn = (email: string, password: string, address = '127.0.0.1') =>
    api.http.post('/api/v1/session').set('X-Forwarded-For', address).send({ email, password });

  it('are limited per address whatever e-mails they try (password spraying), without locking out other addresses', async () => {
    for (let i = 0; i < 5; i++) expect((await logIn(`user${i}@example.com`, 'Summer2024!', '203.0.113.7')).status).toBe(401);
    const limited = await logIn('user-next@example.com', 'Summer2024!', '203.0.113.7');
    expect(limited.status).toBe(429);
    expect(errorOf(limited)?.code).toBe('too_many_attempts');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right password waits: the address is paused, not the account.
    expect((await logIn('real@example.com', 'the right password', '203.0.113.7')).status).toBe(429);
    expect((await logIn('real@example.com', 'the right password', '198.51.100.9')).status).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  let api: ApiHarness;
  // The proxy is on another host: a request straight from 127.0.0.1 is not from it, so what it forwards is not believed.
  beforeAll(async () => {
    api = await startApi({
      app: { loginFailuresPerAddress: 3, trustProxy: loadApiConfig({ TRUST_PROXY: '10.9.9.9, 10.8.0.0/16' }).TRUST_PROXY },
    });
  });
  afterAll(() => api.close());

  it('counts failed log-ins by the connection when the header does not come from a trusted proxy', async () => {
    const logIn = (address: string) =>
      api.http.post('/api/v1/session').set('X-Forwarded-For', address).send({ email: 'nobody@example.com', password: 'wrong' });
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) expect((await logIn(address)).status).toBe(401);
    expect((await logIn('203.0.113.4')).status).toBe(429);
  });

  it('reads a list of addresses and subnets, or a number of hops', () => {
    expect(loadApiConfig({}).TRUST_PROXY).toEqual(['loopback']);
    expect(loadApiConfig({ TRUST_PROXY: '10.9.9.9, 10.8.0.0/16' }).TRUST_PROXY).toEqual(['10.9.9.9', '10.8.0.0/16']);
    expect(loadApiConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
  });
});

describe('password hashing under a burst of log-ins', () => {
  let api: ApiHarness;
  let hashing = 0;
  let mostHashing = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    // The real repository, held at the door of its password check until the test opens the gate.
    const verify: UsersRepository['verify'] = async (email, password) => {
      hashing++;
      mostHashing = Math.max(mostHashing, hashing);
      try {
        await gate;
        return await api.users.verify(email, password);
      } finally {
        hashing--;
      }
    };
    const users = new Proxy({} as UsersRepository, {
      get: (_target, key: keyof UsersRepository) => (key === 'verify' ? verify : api.users[key].bind(api.users)),
    });
    api = await startApi({ app: { users, loginHashConcurrency: 2, loginHashQueue: 3 } });
    await api.users.create({ email: 'someone@example.com', password: 'the right password', role: 'viewer' });
  });
  afterAll(() => api.close());

  it('hashes a few passwords at a time, queues a few more, and answers 503 with Retry-After past that', async () => {
    const attempts = Array.from({ length: 12 }, (_, i) =>
      api.http
        .post('/api/v1/session')
        .set('X-Forwarded-For', `192.0.2.${i + 1}`)
        .send({ email: 'someone@example.com', password: `guess ${i}` }),
    );
    const responses = attempts.map((attempt) => attempt.then((response) => response));
    // 2 hashing + 3 waiting: the 7 others are refused while the gate is still shut.
    const settled: { status: number; retryAfter?: string; code?: string }[] = [];
    await new Promise<void>((resolve) => {
      for (const response of responses) {
        void response.then((r) => {
          settled.push({ status: r.status, retryAfter: r.headers['retry-after'], code: errorOf(r)?.code });
          if (settled.length === 7) resolve();
        });
      }
    });
    expect(settled.every((r) => r.status === 503 && r.code === 'login_busy' && Number(r.retryAfter) > 0)).toBe(true);
    release();
    const all = await Promise.all(responses);
    expect(all.filter((r) => r.status === 401)).toHaveLength(5);
    expect(mostHashing).toBeLessThanOrEqual(2);
  });
});
