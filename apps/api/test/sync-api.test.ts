import type { ErrorBody, ImportView, Page, RowError, SyncAnswer } from '@importer/contracts';
import { companyRow, sirenFor, type FixtureRow } from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ app: { sync: { maxRows: 50, maxBodyBytes: 16 * 1024 } } });
});
afterAll(async () => {
  await api.close();
});

const sync = (body: unknown, options: { profile?: string; token?: string; key?: string } = {}) => {
  const req = api.http.post(`/api/v1/sync/${options.profile ?? 'companies'}`).set('Authorization', `Bearer ${options.token ?? api.token}`);
  if (options.key !== undefined) req.set('Idempotency-Key', options.key);
  return req.send(body as object);
};
const get = (url: string) => api.http.get(url).set('Authorization', `Bearer ${api.token}`);

async function company(n: number) {
  const { rows } = await api.db.pool.query<{ nom: string; ville_nom: string | null; code_postal: string | null }>(
    `SELECT "nom", "ville_nom", "code_postal" FROM "companies" WHERE "siren" = $1`,
    [sirenFor(n)],
  );
  return rows[0];
}
const count = async (table: string) => Number((await api.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]!.n);

describe('POST /api/v1/sync/:profile', () => {
  it('writes the rows (keys matched as headers are: aliases, case, accents) and answers what became of each', async () => {
    const rows: FixtureRow[] = [
      { siren: sirenFor(1), name: 'Alpha', Ville: 'Lyon', zip: '69001' },
      { SIREN: sirenFor(2), Dénomination: 'Beta', unknown_key: 'ignored' },
    ];
    const first = await sync({ rows });
    expect(first.status).toBe(200);
    const answer = first.body as SyncAnswer;
    expect(answer.importId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer).toEqual({
      status: 'success',
      importId: answer.importId,
      created: 2,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      errors: [],
    });
    expect(await company(1)).toEqual({ nom: 'Alpha', ville_nom: 'Lyon', code_postal: '69001' });

    // Again, one row changed: updated, unchanged.
    const again = await sync({ rows: [rows[0], { siren: sirenFor(2), nom: 'Beta 2' }] });
    expect(again.body).toMatchObject({ status: 'success', created: 0, updated: 1, unchanged: 1 });
    // insert_only leaves existing keys alone; a dry run writes nothing.
    const insertOnly = await sync({ rows: [{ siren: sirenFor(1), nom: 'Changed' }], mode: 'insert_only' });
    expect(insertOnly.body).toMatchObject({ status: 'success', created: 0, skipped: 1 });
    const dry = await sync({
      rows: [
        { siren: sirenFor(3), nom: 'Gamma' },
        { siren: sirenFor(1), nom: 'Changed' },
      ],
      dryRun: true,
    });
    expect(dry.body).toMatchObject({ status: 'success', created: 1, updated: 1 });
    expect(await company(3)).toBeUndefined();
    expect((await company(1))?.nom).toBe('Alpha');
  });

  it('records each call as an import of source "sync", listed, filterable and finished', async () => {
    const { importId } = (await sync({ rows: [companyRow(10), companyRow(11)] })).body as SyncAnswer;
    const record = (await get(`/api/v1/imports/${importId}`)).body as ImportView;
    expect(record).toMatchObject({
      id: importId,
      source: 'sync',
      profile: 'companies',
      status: 'completed',
      options: { mode: 'upsert', dryRun: false },
      file: { name: 'sync-batch.json', format: 'json', purged: true, headers: Object.keys(companyRow(10)) },
      totals: { rows: 2, created: 2, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
      progress: { percent: 100 },
      attempts: 0,
      createdBy: 'api-test',
    });
    expect(record.startedAt).not.toBeNull();
    expect(record.finishedAt).not.toBeNull();

    const listed = (await get('/api/v1/imports?source=sync&limit=100')).body as Page<ImportView>;
    expect(listed.items.map((item) => item.id)).toContain(importId);
    expect(listed.items.every((item) => item.source === 'sync')).toBe(true);
    const files = (await get('/api/v1/imports?source=file&limit=100')).body as Page<ImportView>;
    expect(files.items.map((item) => item.id)).not.toContain(importId);
    expect((await get('/api/v1/imports?source=ftp')).status).toBe(400);

    const stats = await get('/api/v1/stats');
    expect(stats.status).toBe(200);
  });

  it('records the webhook deliveries of a batch in its transaction, its payload the import record', async () => {
    const endpoint = await api.http
      .post('/api/v1/webhooks')
      .set('Authorization', `Bearer ${api.token}`)
      .send({ url: 'https://receiver.example/importer' });
    expect(endpoint.status).toBe(201);
    try {
      const { importId } = (await sync({ rows: [companyRow(12)] })).body as SyncAnswer;
      const record = (await get(`/api/v1/imports/${importId}`)).body as ImportView;
      const { rows } = await api.db.pool.query<{ endpoint_id: string; payload: { type: string; data: ImportView } }>(
        `SELECT "endpoint_id", "payload" FROM "webhook_deliveries" WHERE "import_id" = $1`,
        [importId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.endpoint_id).toBe((endpoint.body as { id: string }).id);
      expect(rows[0]?.payload).toMatchObject({ type: 'import.finished', data: record });
    } finally {
      await api.http.delete(`/api/v1/webhooks/${(endpoint.body as { id: string }).id}`).set('Authorization', `Bearer ${api.token}`);
    }
  });

  it('answers bad rows as error entries by 0-based index, stored as rows index + 2, and errors.csv rebuilds them', async () => {
    const rows: FixtureRow[] = [
      companyRow(20),
      { siren: '123', nom: 'Bad siren', ville: 'Paris', note: 'kept' },
      { siren: sirenFor(21) },
      companyRow(22, { email_contact: 'not-an-e-mail' }),
    ];
    const response = await sync({ rows });
    expect(response.status).toBe(200);
    const answer = response.body as SyncAnswer;
    expect(answer).toMatchObject({ status: 'partial_success', created: 1, failed: 3 });
    expect(answer.errors.map(({ index, column, code }) => ({ index, column, code }))).toEqual([
      { index: 1, column: 'siren', code: 'invalid_siren' },
      { index: 2, column: 'nom', code: 'required' },
      { index: 3, column: 'email_contact', code: 'invalid_email' },
    ]);
    expect(answer.errors.every((error) => error.message.length > 0)).toBe(true);

    const stored = (await get(`/api/v1/imports/${answer.importId}/errors`)).body as Page<RowError>;
    expect(stored.items.map((error) => [error.row, error.column])).toEqual([
      [3, 'siren'],
      [4, 'nom'],
      [5, 'email_contact'],
    ]);
    expect((await get(`/api/v1/imports/${answer.importId}`)).body).toMatchObject({ status: 'completed_with_errors' });

    const csv = await get(`/api/v1/imports/${answer.importId}/errors.csv`);
    expect(csv.status).toBe(200);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const headers = Object.keys(companyRow(20));
    expect(lines[0]).toBe([...headers, 'note', 'error_column', 'error_code', 'error_message'].join(','));
    // The second row's values sit under the columns its keys name (`ville` is `ville_nom`), its unknown key last.
    const second = lines[1]!.split(',');
    expect(second[headers.indexOf('siren')]).toBe('123');
    expect(second[headers.indexOf('nom')]).toBe('Bad siren');
    expect(second[headers.indexOf('ville_nom')]).toBe('Paris');
    expect(second[headers.length]).toBe('kept');
    expect(lines).toHaveLength(4);
  });

  it('answers failed when every row failed, and a duplicate key leaves its earlier row skipped', async () => {
    const failed = await sync({ rows: [{ siren: '1', nom: 'x' }, { nom: 'y' }] });
    expect(failed.body).toMatchObject({ status: 'failed', created: 0, failed: 2 });
    const duplicates = await sync({ rows: [companyRow(30, { nom: 'first' }), companyRow(30, { nom: 'last' })] });
    expect(duplicates.body).toMatchObject({ status: 'success', created: 1, skipped: 1, failed: 0, errors: [] });
    expect((await company(30))?.nom).toBe('last');
  });

  it('refuses request-level problems with the error shape, writing nothing', async () => {
    const before = await count('imports');
    const expectError = (response: { status: number; body: unknown }, status: number, code: string) => {
      expect({ status: response.status, code: errorOf(response)?.code }).toEqual({ status, code });
      expect(Object.keys((response.body as ErrorBody).error)).toEqual(['code', 'message', 'details']);
    };
    const raw = (text: string) =>
      api.http
        .post('/api/v1/sync/companies')
        .set('Authorization', `Bearer ${api.token}`)
        .set('Content-Type', 'application/json')
        .send(text);
    expectError(await raw('{"rows": ['), 400, 'invalid_json');
    expectError(await sync({ rows: 'nope' }), 400, 'invalid_sync_request');
    expectError(await sync({ rows: [] }), 400, 'invalid_sync_request');
    expectError(await sync({ rows: [{ siren: { nested: true } }] }), 400, 'invalid_sync_request');
    expectError(await sync({ rows: [companyRow(1)], dry_run: true }), 400, 'invalid_sync_request');
    expectError(await sync({ rows: [companyRow(1)], mode: 'merge' }), 400, 'invalid_sync_request');
    expectError(await sync([companyRow(1)]), 400, 'invalid_sync_request');
    expectError(await sync({ rows: [{ nom: 'a', Nom: 'b', siren: sirenFor(1) }] }), 400, 'duplicate_keys');
    expectError(await sync({ rows: [companyRow(1)] }, { profile: 'people' }), 404, 'unknown_profile');
    const tooMany = await sync({ rows: Array.from({ length: 51 }, (_, n) => ({ siren: sirenFor(n), nom: 'n' })) });
    expectError(tooMany, 413, 'too_many_rows');
    expect(errorOf(tooMany)?.details).toEqual({ rows: 51, limit: 50 });
    expectError(await sync({ rows: [{ siren: sirenFor(1), nom: 'x'.repeat(20_000) }] }), 413, 'body_too_large');
    expectError(await sync({ rows: [companyRow(1)] }, { key: 'k'.repeat(256) }), 400, 'invalid_idempotency_key');
    expect(await count('imports')).toBe(before);
  });

  it('lets operators and admins sync, not viewers', async () => {
    const { token: operator } = await api.tokens.create('sync-operator', 'operator');
    const { token: viewer } = await api.tokens.create('sync-viewer', 'viewer');
    expect((await sync({ rows: [companyRow(40)] }, { token: operator })).status).toBe(200);
    const refused = await sync({ rows: [companyRow(41)] }, { token: viewer });
    expect({ status: refused.status, code: errorOf(refused)?.code }).toEqual({ status: 403, code: 'forbidden' });
    expect(await company(41)).toBeUndefined();
    expect((await api.http.post('/api/v1/sync/companies').send({ rows: [companyRow(41)] })).status).toBe(401);
  });

  it('writes 8 concurrent batches of overlapping keys without a deadlock or a lost write', async () => {
    // Batch b holds companies 1000 + [25b, 25b + 300), in an order of its own, and sets its own column
    // (upsert: the columns it leaves out keep their values), so every batch's write must survive.
    const columns = ['nom_commercial', 'adresse', 'ville_nom', 'naf_libelle', 'telephone', 'email_contact', 'site_web', 'code_postal'];
    const value = (b: number, n: number) =>
      columns[b] === 'email_contact'
        ? `c${n}@b${b}.example.fr`
        : columns[b] === 'site_web'
          ? `https://b${b}.example.fr/${n}`
          : columns[b] === 'code_postal'
            ? `7500${b}`
            : columns[b] === 'telephone'
              ? `01 00 00 ${String(n % 100).padStart(2, '0')} 0${b}`
              : `b${b} n${n}`;
    const batches = columns.map((_, b) => {
      const ns = Array.from({ length: 300 }, (__, i) => 1000 + 25 * b + i);
      const ordered = b % 2 === 0 ? ns.reverse() : ns.sort((x, y) => (x % 7) - (y % 7) || x - y);
      return ordered.map((n) => ({ siren: sirenFor(n), nom: `Société ${n}`, [columns[b]!]: value(b, n) }));
    });
    const big = await startApi({ app: { sync: { maxRows: 1000 } } });
    try {
      const answers = await Promise.all(
        batches.map((rows) => big.http.post('/api/v1/sync/companies').set('Authorization', `Bearer ${big.token}`).send({ rows })),
      );
      expect(answers.map((response) => response.status)).toEqual(columns.map(() => 200));
      const bodies = answers.map((response) => response.body as SyncAnswer);
      expect(bodies.every((body) => body.status === 'success')).toBe(true);
      const distinct = 25 * 7 + 300;
      expect(bodies.reduce((sum, body) => sum + body.created, 0)).toBe(distinct);
      expect(bodies.reduce((sum, body) => sum + body.created + body.updated, 0)).toBe(8 * 300);

      const { rows } = await big.db.pool.query<Record<string, string | null>>(
        `SELECT ${['siren', ...columns].map((c) => `"${c}"`).join(', ')} FROM "companies" ORDER BY "siren"`,
      );
      expect(rows).toHaveLength(distinct);
      const expected = Array.from({ length: distinct }, (_, i) => {
        const n = 1000 + i;
        const row: Record<string, string | null> = { siren: sirenFor(n) };
        columns.forEach((column, b) => (row[column] = n >= 1000 + 25 * b && n < 1000 + 25 * b + 300 ? value(b, n) : null));
        return row;
      }).sort((x, y) => (x.siren! < y.siren! ? -1 : 1));
      expect(rows).toEqual(expected);
    } finally {
      await big.close();
    }
  });
});
