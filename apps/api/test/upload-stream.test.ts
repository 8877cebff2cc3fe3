/**
 * The upload's stream with the `fs` driver, over a real socket: whatever pieces the body arrives in (a few
 * bytes at a time, or megabytes at once), the stored file is the bytes sent, hashed as sent, and its type is
 * read from its first bytes; a file cut short (the size limit, the client going away) leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, pollUntil, toCsv, toXlsx } from '@importer/testing';
import { startApi, type ApiHarness } from './harness';

const MB = 1024 * 1024;
const BOUNDARY = 'importer-upload-stream-test';

let api: ApiHarness;
let server: Server;
beforeAll(async () => {
  api = await startApi({ maxFileBytes: 8 * MB });
  server = api.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await api?.close();
});

/** A CSV of companies of about `bytes` bytes. */
function bigCsv(bytes: number): Buffer {
  const row = toCsv(COMPANY_HEADERS, [companyRow(1)]).split('\n')[1] as string;
  return Buffer.from(`${COMPANY_HEADERS.join(',')}\n${`${row}\n`.repeat(Math.ceil(bytes / (row.length + 1)))}`);
}

/** Opens `POST /api/v1/imports` and sends the multipart body up to the file's first byte. */
function openUpload(fileName: string) {
  const req = httpRequest({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    method: 'POST',
    path: '/api/v1/imports',
    headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
  });
  req.setNoDelay(true);
  req.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="profile"\r\n\r\ncompanies\r\n`);
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  return req;
}

/** Sends `content` in pieces of `piece` bytes, each written once the socket took the one before. */
async function uploadInPieces(content: Buffer, fileName: string, piece: number): Promise<{ status: number; body: ImportView }> {
  const req = openUpload(fileName);
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  for (let at = 0; at < content.length; at += piece) {
    if (!req.write(content.subarray(at, at + piece))) await once(req, 'drain');
    else await new Promise((resolve) => setImmediate(resolve));
  }
  req.end(`\r\n--${BOUNDARY}--\r\n`);
  const [response] = await answered;
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, body: JSON.parse(text) as ImportView };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const storedBytes = async (id: string) => readFile(path.join(api.storageDir, (await api.imports.get(id))?.fileKey ?? 'missing'));

describe('the upload stream (fs driver)', () => {
  it.each([
    ['in 1 MB pieces', MB],
    ['in 5,000-byte pieces', 5_000],
  ])('stores a 6 MB file sent %s byte for byte, with the SHA-256 of the bytes sent', async (_how, piece) => {
    const csv = bigCsv(6 * MB);
    const { status, body } = await uploadInPieces(csv, 'companies.csv', piece);
    expect(status).toBe(202);
    expect(body.file).toMatchObject({ size: csv.length, format: 'csv', sha256: sha256(csv) });
    expect((await storedBytes(body.id)).equals(csv)).toBe(true);
  });

  it('reads the type of a workbook whose first bytes arrive a few at a time', async () => {
    const xlsx = toXlsx(COMPANY_HEADERS, [companyRow(1), companyRow(2)]);
    const { status, body } = await uploadInPieces(xlsx, 'companies.xlsx', 7);
    expect(status).toBe(202);
    expect(body.file).toMatchObject({ size: xlsx.length, format: 'xlsx', sha256: sha256(xlsx) });
    expect((await storedBytes(body.id)).equals(xlsx)).toBe(true);
  });

  it('refuses a file over the size limit with 413, once megabytes of it are in flight, and keeps nothing', async () => {
    const before = await api.storedFiles();
    const { status, body } = await uploadInPieces(bigCsv(10 * MB), 'companies.csv', MB);
    expect(status).toBe(413);
    expect((body as unknown as { error: { code: string } }).error.code).toBe('file_too_large');
    expect(await api.storedFiles()).toEqual(before);
  });

  it('keeps nothing when the client goes away mid-upload', async () => {
    const before = await api.storedFiles();
    const req = openUpload('companies.csv');
    const closed = new Promise((resolve) => req.once('close', resolve));
    req.on('error', () => undefined); // the request is cut short on purpose
    req.write(bigCsv(3 * MB));
    await pollUntil(api.storedFiles, (files) => files.length > before.length, 'the file is being stored', { everyMs: 20 });
    req.destroy();
    await closed;
    await pollUntil(api.storedFiles, (files) => files.length === before.length, 'the partial file is removed', { everyMs: 20 });
    expect(await api.storedFiles()).toEqual(before);
  });
});
