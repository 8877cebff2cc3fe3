/**
 * Uploads with STORAGE_DRIVER=s3, on a real S3-compatible server (s3rver): the file streams into the bucket
 * while it is hashed; whatever refuses it (its type, its size, the client going away, a later check) leaves
 * no object and no pending multipart upload behind; `/readyz` checks the bucket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImportView } from '@importer/db';
import { createFileStore } from '@importer/storage';
import {
  companyRow,
  COMPANY_HEADERS,
  sheetXml,
  startTestS3,
  toCsv,
  toXlsx,
  xlsxPackage,
  zipArchive,
  type TestS3,
  type ZipEntrySpec,
  pollUntil,
} from '@importer/testing';
import { errorOf, startApi, type ApiHarness } from './harness';

const MB = 1024 * 1024;

let s3: TestS3;
let api: ApiHarness;

beforeAll(async () => {
  s3 = await startTestS3({ prefix: 'uploads/' });
  // 6 MB: a larger file has begun a multipart upload (5 MB parts) by the time the limit cuts it.
  api = await startApi({ maxFileBytes: 6 * MB, app: { fileStore: createFileStore(s3.settings) } });
});
afterAll(async () => {
  await api?.close();
  await s3?.close();
});

const bearer = () => ({ Authorization: `Bearer ${api.token}` });
const upload = (content: Buffer | string, name: string, fields: Record<string, string> = { profile: 'companies' }) => {
  const req = api.http.post('/api/v1/imports').set(bearer());
  for (const [field, value] of Object.entries(fields)) req.field(field, value);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), name);
};

/** Waits until `check` holds, re-checking every 20 ms; fails naming `what` after the deadline. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  await pollUntil(check, Boolean, what, { timeoutMs, everyMs: 20 });
}

/** A CSV of companies of about `bytes` bytes. */
function bigCsv(bytes: number): string {
  const row = toCsv(COMPANY_HEADERS, [companyRow(1)]).split('\n')[1] as string;
  return `${COMPANY_HEADERS.join(',')}\n${`${row}\n`.repeat(Math.ceil(bytes / (row.length + 1)))}`;
}

/** Expects the bucket to hold exactly `keys` and no upload to be pending. */
async function expectBucket(keys: string[]) {
  expect((await s3.objectKeys()).sort()).toEqual([...keys].sort());
  expect(await s3.pendingUploads()).toEqual([]);
}

describe('uploads with STORAGE_DRIVER=s3', () => {
  const kept: string[] = [];

  it('streams the file into the bucket under the import key, with the SHA-256 of the bytes sent', async () => {
    for (const [content, name] of [
      [toCsv(COMPANY_HEADERS, [companyRow(1), companyRow(2)]), 'companies.csv'],
      [toXlsx(COMPANY_HEADERS, [companyRow(3)]), 'companies.xlsx'],
      [bigCsv(7 * MB).slice(0, 5.5 * MB), 'big.csv'], // two parts
    ] as const) {
      const bytes = Buffer.from(content);
      const response = await upload(bytes, name);
      expect(response.status).toBe(202);
      const created = response.body as ImportView;
      expect(created.file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      const key = (await api.imports.get(created.id))?.fileKey ?? '';
      expect((await s3.objectBytes(`uploads/${key}`)).equals(bytes)).toBe(true);
      kept.push(`uploads/${key}`);
    }
    await expectBucket(kept);
  });

  it('recognises a workbook whose parts that tell its type come after the first 64 KB, read back from the bucket', async () => {
    const parts: ZipEntrySpec[] = [];
    xlsxPackage({
      sheets: [{ name: 'Feuil1', xml: sheetXml([[...COMPANY_HEADERS]]) }],
      tamper: (entry) => {
        parts.push(entry);
        return entry;
      },
    });
    // A 100 KB picture first, stored: the zip's first 64 KB do not say it is a workbook.
    const book = zipArchive([{ name: 'docProps/thumbnail.jpeg', data: randomBytes(100 * 1024), store: true }, ...parts]);
    const response = await upload(book, 'companies.xlsx');
    expect(response.status).toBe(202);
    expect((response.body as ImportView).file.format).toBe('xlsx');
    kept.push(`uploads/${(await api.imports.get((response.body as ImportView).id))?.fileKey ?? ''}`);
    await expectBucket(kept);
  });

  it('leaves no object for a file of the wrong type', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200)]);
    const response = await upload(png, 'companies.csv');
    expect(response.status).toBe(415);
    expect(errorOf(response)?.code).toBe('unsupported_media_type');
    await expectBucket(kept);
  });

  it('leaves no object when a later check refuses the upload', async () => {
    const response = await upload(toCsv(COMPANY_HEADERS, [companyRow(1)]), 'companies.csv', { profile: 'nothing' });
    expect(errorOf(response)?.code).toBe('unknown_profile');
    await expectBucket(kept);
  });

  it('leaves no object and no pending multipart upload for a file over the size limit', async () => {
    const response = await upload(bigCsv(8 * MB), 'companies.csv');
    expect(response.status).toBe(413);
    expect(errorOf(response)?.code).toBe('file_too_large');
    await expectBucket(kept);
  });

  it('leaves no object and no pending multipart upload when the client goes away mid-upload', async () => {
    const server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const boundary = 'importer-test-boundary';
      const req = httpRequest({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: '/api/v1/imports',
        headers: { ...bearer(), 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      });
      const closed = new Promise((resolve) => req.once('close', resolve));
      req.on('error', () => undefined); // the request is cut short on purpose
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="profile"\r\n\r\ncompanies\r\n`);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="companies.csv"\r\nContent-Type: text/csv\r\n\r\n`);
      req.write(bigCsv(5.5 * MB)); // more than one part: the multipart upload has begun
      await until(async () => (await s3.pendingUploads()).length === 1, 'the multipart upload begins');
      req.destroy();
      await closed;
      await until(async () => (await s3.pendingUploads()).length === 0, 'the multipart upload is aborted');
      await expectBucket(kept);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('inspects a header row read back from the bucket and keeps nothing', async () => {
    const response = await api.http
      .post('/api/v1/imports/inspect')
      .set(bearer())
      .field('profile', 'companies')
      .attach('file', toXlsx(COMPANY_HEADERS, [companyRow(1)]), 'companies.xlsx');
    expect(response.status).toBe(200);
    expect((response.body as { headers: string[] }).headers).toEqual([...COMPANY_HEADERS]);
    await expectBucket(kept);
  });

  it("reports ready with the bucket; without it, unavailable, and an upload fails as the server's error", async () => {
    const ready = await api.http.get('/readyz');
    expect({ status: ready.status, body: ready.body as unknown }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok', storage: 'ok' } },
    });
    const noBucket = await startApi({ app: { fileStore: createFileStore({ ...s3.settings, bucket: 'no-such-bucket' }) } });
    try {
      const unavailable = await noBucket.http.get('/readyz');
      expect({ status: unavailable.status, body: unavailable.body as unknown }).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', storage: 'unavailable' } },
      });
      // An upload meanwhile is the server's failure, told without the bucket's name or the service's words.
      const refused = await noBucket.http
        .post('/api/v1/imports')
        .set({ Authorization: `Bearer ${noBucket.token}` })
        .field('profile', 'companies')
        .attach('file', Buffer.from(toCsv(COMPANY_HEADERS, [companyRow(1)])), 'companies.csv');
      expect(refused.status).toBe(500);
      expect(errorOf(refused)?.code).toBe('internal_error');
      expect(JSON.stringify(refused.body)).not.toContain('no-such-bucket');
    } finally {
      await noBucket.close();
    }
  });
});
