/**
 * `GET /imports/:id/error-groups`, the errors list filtered to one group, and what `POST /imports/:id/resubmit`
 * accepts and refuses (docs/api.md). The re-submission's import run by the worker is tested in
 * apps/worker/test/resubmit.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { errorGroupsSchema, importViewSchema, type ErrorGroups, type ImportView, type Page, type RowError } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, recordingPool, toCsv, type SentStatement } from '@importer/testing';
import { createImportsRepository, createPrisma, importErrorGroups } from '@importer/db';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
let viewer: string;
beforeAll(async () => {
  api = await startApi();
  viewer = (await api.tokens.create('viewer', 'viewer')).token;
});
afterAll(async () => {
  await api.close();
});

const auth = (token = api.token) => ({ Authorization: `Bearer ${token}` });

/** An import as a worker leaves it, straight in the database. */
async function seedImport(fields: { status?: string; options?: object } = {}): Promise<string> {
  const id = randomUUID();
  await api.db.pool.query(
    `INSERT INTO imports (id, profile, options, status, file_name, file_size, file_sha256, file_key, file_format, file_headers)
     VALUES ($1, 'companies', $2::jsonb, $3, 'entreprises.csv', 100, $4, 'stored.csv', 'csv', $5)`,
    [
      id,
      JSON.stringify(fields.options ?? { mode: 'upsert', dryRun: false, createMissingCategories: false }),
      fields.status ?? 'completed_with_errors',
      '0'.repeat(64),
      ['siren', 'nom', 'email_contact'],
    ],
  );
  return id;
}

interface SeedError {
  row: number;
  column: string | null;
  code: string;
  value?: string | null;
  level?: 'error' | 'warning';
  message?: string;
}

async function addErrors(importId: string, errors: SeedError[]): Promise<void> {
  for (const error of errors) {
    await api.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, value) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        importId,
        error.row,
        error.level ?? 'error',
        error.column,
        error.code,
        error.message ?? `${error.column ?? 'row'}: ${error.code} at row ${error.row}`,
        error.value ?? null,
      ],
    );
  }
}

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function scansOf(plan: unknown): Record<string, unknown>[] {
  if (Array.isArray(plan)) return plan.flatMap(scansOf);
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const children = [node.Plan, node.Plans].flatMap(scansOf);
  return 'Node Type' in node ? [node, ...children] : children;
}

const groupsOf = (id: string, token = api.token) => api.http.get(`/api/v1/imports/${id}/error-groups`).set(auth(token));

describe('GET /imports/:id/error-groups', () => {
  let id: string;
  beforeAll(async () => {
    id = await seedImport();
    // Inserted out of row order: the groups follow the rows, not the insertion.
    const sirens = ['a', 'b', 'a', 'c', 'd', 'e', 'f'];
    await addErrors(
      id,
      sirens
        .map((value, i): SeedError => ({ row: 3 + i, column: 'siren', code: 'invalid_siren', value }))
        .reverse()
        .concat([
          { row: 13, column: 'code_postal', code: 'invalid_postal_code', value: '750' },
          { row: 4, column: 'email_contact', code: 'invalid_email', value: 'x@' },
          { row: 14, column: 'code_postal', code: 'invalid_postal_code', value: '750' },
          { row: 10, column: 'email_contact', code: 'invalid_email', value: null },
          { row: 2, column: null, code: 'duplicate_key', level: 'warning' },
          { row: 11, column: null, code: 'duplicate_key', level: 'warning' },
          { row: 12, column: null, code: 'duplicate_key', level: 'warning' },
          // Another column with the same code is another group.
          { row: 15, column: 'siret', code: 'invalid_siren', value: '1' },
        ]),
    );
    // Another import's errors stay out.
    await addErrors(await seedImport(), [{ row: 2, column: 'siren', code: 'invalid_siren', value: 'other' }]);
  });

  it('groups the errors and warnings by column and code, largest first, with the first 5 rows and the 5 most frequent values', async () => {
    const response = await groupsOf(id);
    expect(response.status).toBe(200);
    expect(errorGroupsSchema.parse(response.body)).toEqual(response.body);
    expect((response.body as ErrorGroups).items).toEqual([
      {
        level: 'error',
        column: 'siren',
        code: 'invalid_siren',
        message: 'siren: invalid_siren at row 3',
        count: 7,
        rows: [3, 4, 5, 6, 7],
        // `a` twice, then the others by their first row; `f` is the sixth.
        values: ['a', 'b', 'c', 'd', 'e'],
      },
      {
        level: 'warning',
        column: null,
        code: 'duplicate_key',
        message: 'row: duplicate_key at row 2',
        count: 3,
        rows: [2, 11, 12],
        values: [],
      },
      // Two groups of two: the one whose first row comes first leads.
      {
        level: 'error',
        column: 'email_contact',
        code: 'invalid_email',
        message: 'email_contact: invalid_email at row 4',
        count: 2,
        rows: [4, 10],
        values: ['x@'],
      },
      {
        level: 'error',
        column: 'code_postal',
        code: 'invalid_postal_code',
        message: 'code_postal: invalid_postal_code at row 13',
        count: 2,
        rows: [13, 14],
        values: ['750'],
      },
      {
        level: 'error',
        column: 'siret',
        code: 'invalid_siren',
        message: 'siret: invalid_siren at row 15',
        count: 1,
        rows: [15],
        values: ['1'],
      },
    ]);
  });

  it('is empty for an import without errors; 404 for an unknown import; open to viewers', async () => {
    const clean = await seedImport({ status: 'completed' });
    expect((await groupsOf(clean)).body).toEqual({ items: [] });
    expect((await groupsOf(randomUUID())).status).toBe(404);
    expect(errorOf(await groupsOf('not-a-uuid'))?.code).toBe('not_found');
    expect((await groupsOf(id, viewer)).status).toBe(200);
  });

  it('is one statement, which reads the import errors through an index', async () => {
    // Enough errors of other imports that reading the whole table would cost more than the index.
    const other = await seedImport();
    await api.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, value)
       SELECT $1, n, 'error', 'siren', 'invalid_siren', 'siren: must be 9 digits', n::text FROM generate_series(2, 50001) AS n`,
      [other],
    );
    await api.db.pool.query('ANALYZE import_row_errors');
    const sent: SentStatement[] = [];
    await importErrorGroups(recordingPool(api.db.pool, sent), id);
    expect(sent.map((statement) => statement.name)).toEqual(['import_error_groups']);
    const { rows } = await api.db.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sent[0]?.text}`, [id]);
    const scans = scansOf(rows[0]?.['QUERY PLAN']).filter((node) => node['Relation Name'] === 'import_row_errors');
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) {
      expect(scan).toMatchObject({ 'Node Type': 'Index Scan', 'Index Name': 'import_row_errors_import_id_code_column_row_id_idx' });
    }
  });
});

describe('GET /imports/:id/errors?column=&code=', () => {
  it("lists one group's rows, paged; either filter alone narrows too", async () => {
    const id = await seedImport();
    await addErrors(id, [
      ...[2, 3, 4, 5, 6].map((row) => ({ row, column: 'siren', code: 'invalid_siren', value: `s${row}` })),
      { row: 3, column: 'nom', code: 'required', value: null },
      { row: 7, column: 'siret', code: 'invalid_siren', value: 'x' },
    ]);
    const list = (query: string) => api.http.get(`/api/v1/imports/${id}/errors?${query}`).set(auth());
    const first = await list('column=siren&code=invalid_siren&limit=3');
    expect(first.status).toBe(200);
    const page = first.body as Page<RowError>;
    expect(page.items.map((item) => item.row)).toEqual([2, 3, 4]);
    expect(page.items.every((item) => item.column === 'siren' && item.code === 'invalid_siren')).toBe(true);
    const second = (await list(`column=siren&code=invalid_siren&limit=3&cursor=${page.nextCursor}`)).body as Page<RowError>;
    expect(second).toMatchObject({ items: [{ row: 5 }, { row: 6 }], nextCursor: null });

    expect(((await list('code=invalid_siren')).body as Page<RowError>).items.map((item) => item.row)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(((await list('column=nom')).body as Page<RowError>).items.map((item) => item.code)).toEqual(['required']);
    expect(((await list('code=nothing')).body as Page<RowError>).items).toEqual([]);
    const refused = await list('code=');
    expect({ status: refused.status, code: errorOf(refused)?.code }).toEqual({ status: 400, code: 'invalid_query' });
  });
});

describe('POST /imports/:id/resubmit', () => {
  const csv = toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]);
  const resubmit = (id: string, token = api.token, content = csv) =>
    api.http
      .post(`/api/v1/imports/${id}/resubmit`)
      .set(auth(token))
      .field('profile', 'categories') // ignored: the original's profile is kept
      .attach('file', Buffer.from(content), 'entreprises-rejected-rows.csv');

  it("creates a queued import of the original's profile and options, linked to it both ways", async () => {
    const options = { mode: 'insert_only', dryRun: true, createMissingCategories: false };
    const parent = await seedImport({ options });
    const response = await resubmit(parent);
    expect(response.status).toBe(202);
    const created = response.body as ImportView;
    expect(importViewSchema.parse(created)).toEqual(created);
    expect(response.headers.location).toBe(`/api/v1/imports/${created.id}`);
    expect(created).toMatchObject({ status: 'queued', profile: 'companies', options, parentId: parent, resubmissions: [] });
    expect(created.file).toMatchObject({ name: 'entreprises-rejected-rows.csv', size: Buffer.byteLength(csv), format: 'csv' });
    expect(await (await api.queue.getJob(created.id))?.getState()).toBe('waiting');
    expect(await api.storedFiles()).toHaveLength(1);

    const again = (await resubmit(parent)).body as ImportView;
    const original = (await api.http.get(`/api/v1/imports/${parent}`).set(auth())).body as ImportView;
    expect(original.parentId).toBeNull();
    expect(original.resubmissions).toEqual([
      { id: created.id, status: 'queued', fixed: 0, stillFailing: 0 },
      { id: again.id, status: 'queued', fixed: 0, stillFailing: 0 },
    ]);
    // The list shows them too.
    const listed = (await api.http.get('/api/v1/imports?limit=100').set(auth())).body as Page<ImportView>;
    expect(listed.items.find((item) => item.id === parent)?.resubmissions).toHaveLength(2);
  });

  it('counts what a finished re-submission fixed and what still fails', async () => {
    const parent = await seedImport();
    const child = (await resubmit(parent)).body as ImportView;
    await api.db.pool.query(
      `UPDATE imports SET status = 'completed_with_errors', rows_total = 10, created = 5, updated = 2, unchanged = 1, skipped = 0, failed = 2 WHERE id = $1`,
      [child.id],
    );
    const original = (await api.http.get(`/api/v1/imports/${parent}`).set(auth())).body as ImportView;
    expect(original.resubmissions).toEqual([{ id: child.id, status: 'completed_with_errors', fixed: 8, stillFailing: 2 }]);
  });

  it('reads a whole page with its re-submissions in one statement, not one more per import', async () => {
    const sent: SentStatement[] = [];
    const prisma = createPrisma(api.db.pool);
    const repository = createImportsRepository(prisma, recordingPool(api.db.pool, sent));
    const statementsFor = async (limit: number) => {
      sent.length = 0;
      const page = await repository.list({ limit });
      expect(page.items).toHaveLength(limit);
      return sent.filter((statement) => /^\s*SELECT/i.test(statement.text)).length;
    };
    // Imports with and without re-submissions: a page of 2 and a page of 12 cost the same one statement.
    for (let i = 0; i < 6; i++) await resubmit(await seedImport());
    expect(await statementsFor(2)).toBe(1);
    expect(await statementsFor(12)).toBe(1);
    await prisma.$disconnect();
  });

  it('keeps a re-submission whose original is deleted (the cleanup), forgetting the link', async () => {
    const parent = await seedImport();
    const child = (await resubmit(parent)).body as ImportView;
    await api.db.pool.query('DELETE FROM imports WHERE id = $1', [parent]);
    expect(((await api.http.get(`/api/v1/imports/${child.id}`).set(auth())).body as ImportView).parentId).toBeNull();
  });

  it('refuses an unfinished original (409), an unknown one (404), a viewer (403) and an empty file, storing nothing', async () => {
    const before = (await api.storedFiles()).length;
    for (const status of ['queued', 'processing']) {
      const running = await seedImport({ status });
      const refused = await resubmit(running);
      expect({ status: refused.status, error: errorOf(refused) }).toMatchObject({
        status: 409,
        error: { code: 'not_resubmittable', details: { status } },
      });
    }
    expect((await resubmit(randomUUID())).status).toBe(404);
    expect((await resubmit('not-a-uuid')).status).toBe(404);
    const finished = await seedImport({ status: 'failed' });
    expect((await resubmit(finished, viewer)).status).toBe(403);
    expect(errorOf(await resubmit(finished, api.token, ''))?.code).toBe('empty_file');
    const missing = await api.http.post(`/api/v1/imports/${finished}/resubmit`).set(auth()).field('x', 'y');
    expect(errorOf(missing)?.code).toBe('file_required');
    expect(await api.storedFiles()).toHaveLength(before);
    const original = (await api.http.get(`/api/v1/imports/${finished}`).set(auth())).body as ImportView;
    expect(original.resubmissions).toEqual([]);
  });
});

describe('POST /imports/:id/resubmit and UPLOADS_PER_HOUR', () => {
  let limited: ApiHarness;
  beforeAll(async () => {
    limited = await startApi({ app: { uploadsPerHour: 1 } });
  });
  afterAll(() => limited.close());

  it('shares the allowance of POST /imports', async () => {
    const { token } = await limited.tokens.create('uploader', 'operator');
    const csv = toCsv(COMPANY_HEADERS, [companyRow(1)]);
    const first = await limited.http
      .post('/api/v1/imports')
      .set(auth(token))
      .field('profile', 'companies')
      .attach('file', Buffer.from(csv), 'c.csv');
    expect(first.status).toBe(202);
    await limited.db.pool.query(`UPDATE imports SET status = 'completed' WHERE id = $1`, [(first.body as ImportView).id]);
    const second = await limited.http
      .post(`/api/v1/imports/${(first.body as ImportView).id}/resubmit`)
      .set(auth(token))
      .attach('file', Buffer.from(csv), 'c.csv');
    expect({ status: second.status, code: errorOf(second)?.code }).toEqual({ status: 429, code: 'too_many_uploads' });
  });
});
