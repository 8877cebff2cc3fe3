import { companyRow } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ app: { sync: { requestsPerMinute: 3 } } });
});
afterAll(async () => {
  await api.close();
});

describe('SYNC_REQUESTS_PER_MINUTE', () => {
  it('answers 429 with Retry-After past the limit, per token: another token is not limited', async () => {
    const sync = (token: string) =>
      api.http
        .post('/api/v1/sync/companies')
        .set('Authorization', `Bearer ${token}`)
        .send({ rows: [companyRow(1)] });
    for (let n = 0; n < 3; n++) expect((await sync(api.token)).status).toBe(200);
    const limited = await sync(api.token);
    expect({ status: limited.status, code: errorOf(limited)?.code }).toEqual({ status: 429, code: 'too_many_sync_requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(errorOf(limited)?.details).toMatchObject({ limit: 3 });

    const { token: other } = await api.tokens.create('other', 'operator');
    expect((await sync(other)).status).toBe(200);
  });
});
