import type { z } from 'zod';
import {
  importViewSchema,
  inspectionSchema,
  savedMappingListSchema,
  savedMappingSchema,
  type ErrorBody,
  type ImportView,
  type Inspection,
  type SavedMapping,
} from '@importer/contracts';
import { companyRow, toCsv, toXls, toXlsx } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

let api: ApiHarness;
let viewer: string;
beforeAll(async () => {
  api = await startApi({ maxFileBytes: 64 * 1024 });
  viewer = (await api.tokens.create('viewer', 'viewer')).token;
});
afterAll(async () => {
  await api.close();
});

/** A companies file whose siren and nom headers no alias matches; `Ville` is an alias, `Raison social` is close to one. */
const HEADERS = ['Numéro SIREN', 'Raison social', 'Ville', 'Commentaire'];
const rows = [1, 2].map((n) => {
  const row = companyRow(n);
  return { 'Numéro SIREN': row.siren ?? null, 'Raison social': row.nom ?? null, Ville: row.ville_nom ?? null, Commentaire: 'x' };
});
const csv = toCsv(HEADERS, rows, { delimiter: ';' });
const MAPPING = { 'Numéro SIREN': 'siren', 'Raison social': 'nom' };

const bearer = (token = api.token) => ({ Authorization: `Bearer ${token}` });
const upload = (fields: Record<string, string>, content: Buffer | string = csv, name = 'companies.csv') => {
  const req = api.http.post('/api/v1/imports').set(bearer());
  for (const [field, value] of Object.entries({ profile: 'companies', ...fields })) req.field(field, value);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), name);
};
const inspect = (content: Buffer | string, name: string, fields: Record<string, string> = { profile: 'companies' }, token = api.token) => {
  const req = api.http.post('/api/v1/imports/inspect').set(bearer(token));
  for (const [field, value] of Object.entries(fields)) req.field(field, value);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), name);
};
const errorOf = (response: { body: unknown }) => (response.body as ErrorBody).error;

/** The answer is what its contract (@importer/contracts) says, and no more. */
function expectAnswer<S extends z.ZodType>(schema: S, response: { status: number; body: unknown }, status = 200): z.output<S> {
  expect(response.status).toBe(status);
  const parsed = schema.parse(response.body);
  expect(parsed).toEqual(response.body);
  return parsed;
}

describe('POST /api/v1/imports with a mapping', () => {
  it('records the mapping in the options; the worker tells how the headers were matched', async () => {
    const response = await upload({ mapping: JSON.stringify(MAPPING) });
    const created: ImportView = expectAnswer(importViewSchema, response, 202);
    expect(created.options.mapping).toEqual(MAPPING);
    expect(created.file.mappingSource).toBeNull();
  });

  it.each([
    ['text that is not JSON', '{"Numéro SIREN": siren', /mapping: not valid JSON/],
    ['a list', '["siren"]', /mapping/],
    ['an empty object', '{}', /at least one header/],
    ['a blank column', '{"Numéro SIREN": " "}', /column name cannot be blank/],
  ])('refuses %s with 400 invalid_mapping, keeping no file', async (_what, mapping, message) => {
    const before = await api.storedFiles();
    const response = await upload({ mapping });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'invalid_mapping', message: expect.stringMatching(message) as unknown });
    expect(await api.storedFiles()).toEqual(before);
  });

  it('names unknown columns, columns mapped twice and headers listed twice', async () => {
    const response = await upload({
      mapping: JSON.stringify({ 'Numéro SIREN': 'siren_number', 'Raison social': 'nom', Enseigne: 'nom', 'numero siren': 'siret' }),
    });
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('invalid_mapping');
    expect(error.message).toContain('Profile "companies" has no column "siren_number"; its columns are siren, siret, nom');
    expect(error.message).toContain('The headers "Raison social", "Enseigne" are all mapped to the column "nom"');
    expect(error.message).toContain('The headers "Numéro SIREN", "numero siren" are the same header');
    expect(error.details).toEqual({
      unknownColumns: ['siren_number'],
      columnsMappedTwice: [{ column: 'nom', headers: ['Raison social', 'Enseigne'] }],
      repeatedHeaders: [['Numéro SIREN', 'numero siren']],
      headersNotInFile: [],
    });
  });
});

describe('saved mappings: /api/v1/mappings', () => {
  let saved: SavedMapping;

  it('saves a mapping for a profile and header set (201), who saved it and when', async () => {
    const response = await api.http
      .post('/api/v1/mappings')
      .set(bearer())
      .send({ profile: 'companies', headers: HEADERS, mapping: MAPPING });
    saved = expectAnswer(savedMappingSchema, response, 201);
    expect(saved).toMatchObject({
      profile: 'companies',
      headers: HEADERS,
      headerSet: ['commentaire', 'numero_siren', 'raison_social', 'ville'],
      mapping: MAPPING,
      savedBy: 'api-test',
    });
    expect(response.headers.location).toBe(`/api/v1/mappings/${saved.id}`);
  });

  it('replaces it when saved again for the same header set, whatever the order, case or accents (200, same id)', async () => {
    const mapping = { 'numero siren': 'siren', 'RAISON SOCIAL': 'nom', Commentaire: 'adresse' };
    const response = await api.http
      .post('/api/v1/mappings')
      .set(bearer())
      .send({ profile: 'companies', headers: ['VILLE', 'commentaire', 'RAISON SOCIAL', 'numero siren'], mapping });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: saved.id, mapping, headerSet: saved.headerSet });
    await api.http.post('/api/v1/mappings').set(bearer()).send({ profile: 'companies', headers: HEADERS, mapping: MAPPING }).expect(200);
  });

  it('lists them for any role, of one profile when asked', async () => {
    const all = expectAnswer(savedMappingListSchema, await api.http.get('/api/v1/mappings').set(bearer(viewer)));
    expect(all.items.map((item) => item.id)).toEqual([saved.id]);
    const none = await api.http.get('/api/v1/mappings?profile=categories').set(bearer(viewer));
    expect(none.body).toEqual({ items: [] });
  });

  it.each([
    ['an unknown profile', { profile: 'nope', headers: HEADERS, mapping: MAPPING }, 'unknown_profile', /Unknown profile "nope"/],
    ['no headers', { profile: 'companies', headers: [], mapping: MAPPING }, 'invalid_mapping', /headers/],
    [
      'a header the file does not have',
      { profile: 'companies', headers: HEADERS, mapping: { ...MAPPING, 'Code APE': 'naf_code' } },
      'invalid_mapping',
      /The file has no header "Code APE"/,
    ],
    [
      'a mapping that leaves a required column unmatched',
      { profile: 'companies', headers: HEADERS, mapping: { 'Numéro SIREN': 'siren' } },
      'missing_columns',
      /Missing required column nom/,
    ],
    [
      'a mapping that names a column another header has',
      { profile: 'companies', headers: [...HEADERS, 'name'], mapping: MAPPING },
      'duplicate_header',
      /both name the column "nom"/,
    ],
  ])('refuses %s with 400', async (_what, body, code, message) => {
    const response = await api.http.post('/api/v1/mappings').set(bearer()).send(body);
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code, message: expect.stringMatching(message) as unknown });
  });

  it('lets only operators and admins save or remove one', async () => {
    const post = await api.http
      .post('/api/v1/mappings')
      .set(bearer(viewer))
      .send({ profile: 'companies', headers: HEADERS, mapping: MAPPING });
    expect(post.status).toBe(403);
    expect((await api.http.delete(`/api/v1/mappings/${saved.id}`).set(bearer(viewer))).status).toBe(403);
  });

  it('removes one (204); then it is not found (404)', async () => {
    expect((await api.http.delete(`/api/v1/mappings/${saved.id}`).set(bearer())).status).toBe(204);
    const again = await api.http.delete(`/api/v1/mappings/${saved.id}`).set(bearer());
    expect(again.status).toBe(404);
    expect(errorOf(again).code).toBe('not_found');
    expect((await api.http.delete('/api/v1/mappings/not-a-uuid').set(bearer())).status).toBe(404);
  });
});

describe('POST /api/v1/imports/inspect', () => {
  it('reads the header row of a CSV and suggests a column for each header: alias, closest, none; keeps no file', async () => {
    const before = await api.storedFiles();
    const response = await inspect(csv, 'companies.csv');
    expect(expectAnswer(inspectionSchema, response)).toEqual<Inspection>({
      profile: 'companies',
      format: 'csv',
      sheet: null,
      headers: HEADERS,
      columns: [
        { header: 'Numéro SIREN', suggestion: null, source: null },
        { header: 'Raison social', suggestion: 'nom', source: 'closest' },
        { header: 'Ville', suggestion: 'ville_nom', source: 'alias' },
        { header: 'Commentaire', suggestion: null, source: null },
      ],
      missingRequired: ['siren', 'nom'],
      savedMappingId: null,
    });
    expect(await api.storedFiles()).toEqual(before);
  });

  it('reads an XLSX, and suggests from the mapping saved for its header set', async () => {
    const saved = await api.http
      .post('/api/v1/mappings')
      .set(bearer())
      .send({ profile: 'companies', headers: HEADERS, mapping: { ...MAPPING, Commentaire: 'adresse' } });
    expect(saved.status).toBe(201);
    const xlsx = toXlsx(['Ville', 'Commentaire', 'numéro siren', 'Raison social'], rows, 'Sociétés');
    const response = await inspect(xlsx, 'companies.xlsx');
    expect(expectAnswer(inspectionSchema, response)).toMatchObject({
      format: 'xlsx',
      sheet: 'Sociétés',
      headers: ['Ville', 'Commentaire', 'numéro siren', 'Raison social'],
      columns: [
        { header: 'Ville', suggestion: 'ville_nom', source: 'alias' },
        { header: 'Commentaire', suggestion: 'adresse', source: 'saved' },
        { header: 'numéro siren', suggestion: 'siren', source: 'saved' },
        { header: 'Raison social', suggestion: 'nom', source: 'saved' },
      ],
      missingRequired: ['siren', 'nom'],
      savedMappingId: (saved.body as SavedMapping).id,
    });
  });

  it('reads a legacy XLS, in the reading thread of the import', async () => {
    const xls = toXls([
      { name: 'Vide', rows: [] },
      { name: 'Export', rows: [[], ['Numéro SIREN', 'nom', 'CP'], ['732829320', 'Société', '75001']] },
    ]);
    const response = await inspect(xls, 'companies.xls');
    expect(expectAnswer(inspectionSchema, response)).toMatchObject({
      format: 'xls',
      sheet: 'Export',
      headers: ['Numéro SIREN', 'nom', 'CP'],
      columns: [
        { header: 'Numéro SIREN', suggestion: null, source: null },
        { header: 'nom', suggestion: 'nom', source: 'alias' },
        { header: 'CP', suggestion: 'code_postal', source: 'alias' },
      ],
      missingRequired: ['siren'],
    });
  });

  it('finds nothing missing in a file whose headers are the canonical names', async () => {
    const response = await inspect(toCsv(['siren', 'nom', 'cp'], [companyRow(3)]), 'plain.csv');
    expect(response.body).toMatchObject({
      columns: [
        { header: 'siren', suggestion: 'siren', source: 'alias' },
        { header: 'nom', suggestion: 'nom', source: 'alias' },
        { header: 'cp', suggestion: 'code_postal', source: 'alias' },
      ],
      missingRequired: [],
      savedMappingId: null,
    });
  });

  it.each([
    ['an unknown profile', () => inspect(csv, 'companies.csv', { profile: 'nope' }), 400, 'unknown_profile'],
    ['no file', () => api.http.post('/api/v1/imports/inspect').set(bearer()).field('profile', 'companies'), 400, 'file_required'],
    ['a disguised file', () => inspect(csv, 'companies.xlsx'), 415, 'unsupported_media_type'],
    [
      'an XLSX sheet that does not exist',
      () => inspect(toXlsx(HEADERS, rows), 'c.xlsx', { profile: 'companies', sheet: 'Nope' }),
      422,
      'unknown_sheet',
    ],
    ['a viewer', () => inspect(csv, 'companies.csv', { profile: 'companies' }, viewer), 403, 'forbidden'],
  ])('refuses %s', async (_what, send, status, code) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(errorOf(response).code).toBe(code);
  });
});
