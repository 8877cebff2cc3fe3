import type { ImportView, SyncAnswer } from '@importer/contracts';
import { runCleanup } from '@importer/imports';
import { COMPANY_HEADERS, companyRow, sirenFor, toCsv, pollUntil } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const sync = (rows: unknown[], key: string, token = api.token) =>
  api.http.post('/api/v1/sync/companies').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send({ rows });
const count = async (table: string) => Number((await api.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]!.n);

/** Resolves once some statement of this test's database waits for a lock. */
async function someoneWaitsForALock(): Promise<void> {
  const waiting = async () =>
    (
      await api.db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    ).rows[0]!.n;
  await pollUntil(waiting, (n) => n > 0, 'a statement waiting for a lock', { everyMs: 20 });
}

describe('Idempotency-Key on POST /sync/:profile', () => {
  it('replays the first answer to a repeat with the same body, writing nothing', async () => {
    const rows = [companyRow(1), companyRow(2, { email_contact: 'bad' })];
    const first = await sync(rows, 'batch-1');
    expect(first.status).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const imports = await count('imports');
    await api.db.pool.query(`UPDATE "companies" SET "nom" = 'changed since' WHERE "siren" = $1`, [sirenFor(1)]);

    // Same content, keys in another order: the same body.
    const repeat = await sync(
      rows.map((row) => Object.fromEntries(Object.entries(row).reverse())),
      'batch-1',
    );
    expect(repeat.status).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(first.body);
    expect(await count('imports')).toBe(imports);
    const { rows: stored } = await api.db.pool.query<{ nom: string }>(`SELECT "nom" FROM "companies" WHERE "siren" = $1`, [sirenFor(1)]);
    expect(stored[0]!.nom).toBe('changed since'); // not written again
  });

  it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
    expect((await sync([companyRow(3)], 'batch-2')).status).toBe(200);
    const imports = await count('imports');
    const reused = await sync([companyRow(4)], 'batch-2');
    expect({ status: reused.status, code: errorOf(reused)?.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
    const otherMode = await api.http
      .post('/api/v1/sync/companies')
      .set('Authorization', `Bearer ${api.token}`)
      .set('Idempotency-Key', 'batch-2')
      .send({ rows: [companyRow(3)], mode: 'overwrite' });
    expect(otherMode.status).toBe(422);
    expect(await count('imports')).toBe(imports);
    const { rows } = await api.db.pool.query(`SELECT 1 FROM "companies" WHERE "siren" = $1`, [sirenFor(4)]);
    expect(rows).toHaveLength(0);
  });

  it('answers 409 idempotency_key_in_progress while the first request with the key still runs', async () => {
    await sync([companyRow(5)], 'seed');
    // Hold company 5's row: the next batch writing it waits inside its transaction.
    const holder = await api.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "companies" WHERE "siren" = $1 FOR UPDATE`, [sirenFor(5)]);
      const running = sync([companyRow(5, { nom: 'Renamed' })], 'batch-3').then((response) => response);
      await someoneWaitsForALock();

      const meanwhile = await sync([companyRow(5, { nom: 'Renamed' })], 'batch-3');
      expect({ status: meanwhile.status, code: errorOf(meanwhile)?.code }).toEqual({ status: 409, code: 'idempotency_key_in_progress' });

      await holder.query('COMMIT');
      const first = await running;
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: 'success', updated: 1 });
      const after = await sync([companyRow(5, { nom: 'Renamed' })], 'batch-3');
      expect(after.headers['idempotent-replayed']).toBe('true');
      expect(after.body).toEqual(first.body);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('scopes keys to the calling token or user: another caller with the same key is a new request', async () => {
    const { token: other } = await api.tokens.create('other-integration', 'operator');
    const mine = await sync([companyRow(6)], 'shared-key');
    const theirs = await sync([companyRow(6, { nom: 'Theirs' })], 'shared-key', other);
    expect(theirs.status).toBe(200);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect((theirs.body as SyncAnswer).importId).not.toBe((mine.body as SyncAnswer).importId);
    expect(theirs.body).toMatchObject({ updated: 1 });
  });

  it('keeps an answer 24 h: the nightly cleanup deletes it once expired, and the key is free again', async () => {
    const first = await sync([companyRow(7)], 'daily');
    const cleanup = (now: Date) =>
      runCleanup(
        { pool: api.db.pool, storageDir: api.storageDir, retention: { importsDays: 90, filesDays: 30, lineageDays: 30 }, now: () => now },
        'manual',
      );
    await cleanup(new Date());
    expect((await sync([companyRow(7)], 'daily')).headers['idempotent-replayed']).toBe('true');

    await cleanup(new Date(Date.now() + 25 * 3_600_000));
    const { rows } = await api.db.pool.query(`SELECT 1 FROM "idempotency_keys" WHERE "key" = 'daily'`);
    expect(rows).toHaveLength(0);
    const fresh = await sync([companyRow(7)], 'daily');
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect((fresh.body as SyncAnswer).importId).not.toBe((first.body as SyncAnswer).importId);
  });
});

describe('Idempotency-Key on POST /imports', () => {
  const upload = (csv: string, key: string, fields: Record<string, string> = { profile: 'companies' }) => {
    const req = api.http.post('/api/v1/imports').set('Authorization', `Bearer ${api.token}`).set('Idempotency-Key', key);
    for (const [name, value] of Object.entries(fields)) req.field(name, value);
    return req.attach('file', Buffer.from(csv), 'companies.csv');
  };

  it('replays the first 202 (with its Location) for the same file and fields; another file or option is 422', async () => {
    const csv = toCsv(COMPANY_HEADERS, [companyRow(100), companyRow(101)]);
    const first = await upload(csv, 'upload-1');
    expect(first.status).toBe(202);
    const created = first.body as ImportView;
    const imports = await count('imports');
    const files = (await api.storedFiles()).length;

    const repeat = await upload(csv, 'upload-1');
    expect(repeat.status).toBe(202);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.headers.location).toBe(`/api/v1/imports/${created.id}`);
    expect(repeat.body).toEqual(first.body);
    expect(await count('imports')).toBe(imports);
    expect((await api.storedFiles()).length).toBe(files); // the repeat's copy of the file is gone

    const otherFile = await upload(toCsv(COMPANY_HEADERS, [companyRow(102)]), 'upload-1');
    expect({ status: otherFile.status, code: errorOf(otherFile)?.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
    const otherMode = await upload(csv, 'upload-1', { profile: 'companies', mode: 'overwrite' });
    expect(otherMode.status).toBe(422);
    expect(await count('imports')).toBe(imports);
    expect((await api.storedFiles()).length).toBe(files);
  });
});
