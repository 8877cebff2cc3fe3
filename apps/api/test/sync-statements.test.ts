import request from 'supertest';
import type { SyncAnswer } from '@importer/contracts';
import { companyRow, recordingPool, startTestServices, testAppDeps, type SentStatement, type TestServices } from '@importer/testing';
import { createApp } from '../src/app';

let services: TestServices;
let sent: SentStatement[];
let http: ReturnType<typeof request>;
let token: string;
beforeAll(async () => {
  services = await startTestServices({ failFast: true });
  sent = [];
  http = request(createApp(testAppDeps(services, { pool: recordingPool(services.db.pool, sent), sync: { maxRows: 1_000 } })));
  ({ token } = await services.tokens.create('statements', 'operator'));
});
afterAll(async () => {
  await services.close();
});

/** Sends one batch of `size` companies from `first` (a tenth of them invalid); the statements it sent, by name or first words. */
async function statementsOfBatch(first: number, size: number, options: { key?: string; nom?: string } = {}) {
  const rows = Array.from({ length: size }, (_, i) =>
    companyRow(first + i, { nom: options.nom ?? `Société ${first + i}`, ...(i % 10 === 9 ? { email_contact: 'not-an-e-mail' } : {}) }),
  );
  sent.length = 0;
  const req = http.post('/api/v1/sync/companies').set('Authorization', `Bearer ${token}`);
  if (options.key) req.set('Idempotency-Key', options.key);
  const response = await req.send({ rows });
  expect(response.status).toBe(200);
  expect((response.body as SyncAnswer).failed).toBe(size / 10);
  return { answer: response.body as SyncAnswer, statements: sent.map(({ text, name }) => name ?? text.trim().split(/\s+/, 2).join(' ')) };
}

describe('SQL statements per sync batch', () => {
  it('stay the same whatever the batch size: one transaction, the write being one statement', async () => {
    const small = await statementsOfBatch(0, 100);
    const large = await statementsOfBatch(10_000, 1_000);
    expect(small.answer).toMatchObject({ created: 90 });
    expect(large.answer).toMatchObject({ created: 900 });
    expect(large.statements).toEqual(small.statements);
    expect(small.statements[0]).toBe('BEGIN');
    expect(small.statements.at(-1)).toBe('COMMIT');
    expect(small.statements.filter((name) => name.startsWith('write_chunk_'))).toHaveLength(1);

    // Updating the same rows, and with an Idempotency-Key (its lock, look-up and stored answer): still constant.
    const updates = [
      await statementsOfBatch(0, 100, { nom: 'Renamed', key: 'a' }),
      await statementsOfBatch(10_000, 1_000, { nom: 'Renamed', key: 'b' }),
    ];
    expect(updates[0]!.answer).toMatchObject({ updated: 90 });
    expect(updates[1]!.answer).toMatchObject({ updated: 900 });
    expect(updates[1]!.statements).toEqual(updates[0]!.statements);
    expect(updates[0]!.statements.length).toBe(small.statements.length + 3);
    console.log(`statements per sync batch (100 or 1,000 rows): ${small.statements.join(', ')}`);
  });
});
