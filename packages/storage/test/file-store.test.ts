import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startTestS3, type TestS3 } from '@importer/testing';
import { createFsFileStore, createFileStore, readBytes, StoredFileMissingError, type FileStore } from '../src';

const DAY_MS = 24 * 3600 * 1000;
const KEY = '0b1f3f0e-8d7c-4c3a-9f57-2b8a1f0e6c11';
const OTHER = '5e0c1b7a-2f4d-4e8b-a1c3-9d7f6e5b4a32';

const text = (stream: Readable) => readAll(stream).then((bytes) => bytes.toString('utf8'));
async function readAll(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream as AsyncIterable<Buffer>) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** A body that sends `first` and then fails, as a request whose client went away. */
function failingBody(first: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(first);
      } else this.destroy(new Error('client went away'));
    },
  });
}

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3({ prefix: 'uploads' });
  dir = await mkdtemp(path.join(tmpdir(), 'importer-store-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ['fs', () => createFsFileStore(dir)],
  ['s3', () => createFileStore(s3.settings)],
])('the %s file store', (_driver, make) => {
  let files: FileStore;
  beforeAll(() => {
    files = make();
  });

  it('writes a stream under a key, and reads it back whole, by range, and its size', async () => {
    await files.write(KEY, Readable.from([Buffer.from('nom;siren\n'), Buffer.from('Acme;123456789\n')]));
    expect(await text(await files.read(KEY))).toBe('nom;siren\nAcme;123456789\n');
    expect(await text(await files.read(KEY, { start: 4, end: 8 }))).toBe('siren');
    expect(await text(await files.read(KEY, { start: 20 }))).toBe('6789\n');
    expect((await readBytes({ store: files, key: KEY }, { start: 25 })).length).toBe(0); // at the end: empty
    const info = await files.stat(KEY);
    expect(info).toMatchObject({ key: KEY, size: 25 });
    expect(info.modifiedAt.getTime()).toBeGreaterThan(Date.now() - DAY_MS);
  });

  it('scans a file piece by piece, and stops when told', async () => {
    const body = Buffer.alloc(600 * 1024, 'abc');
    await files.write(KEY, Readable.from([body]));
    const seen: Buffer[] = [];
    await files.scan(KEY, (piece) => {
      seen.push(Buffer.from(piece)); // a copy: the piece's bytes may be reused once this returns
      return true;
    });
    expect(Buffer.concat(seen).equals(body)).toBe(true);
    let pieces = 0;
    await files.scan(KEY, () => ++pieces < 1);
    expect(pieces).toBe(1);
    await expect(files.scan('missing', () => true)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists its files written before a time, in batches, and deletes them (twice is fine)', async () => {
    await files.write(OTHER, Readable.from([Buffer.from('x')]));
    const listed = async (before: Date) => {
      const keys: string[] = [];
      for await (const batch of files.list(before, 1)) keys.push(...batch.map((object) => object.key));
      return keys.sort();
    };
    expect(await listed(new Date(Date.now() + DAY_MS))).toEqual([KEY, OTHER].sort());
    expect(await listed(new Date(Date.now() - DAY_MS))).toEqual([]);
    await files.delete(OTHER);
    await files.delete(OTHER);
    expect(await listed(new Date(Date.now() + DAY_MS))).toEqual([KEY]);
  });

  it('tells a missing file apart, with the code the worker reports as file_missing', async () => {
    const missing = 'c6a0d3a4-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
    await expect(files.read(missing)).rejects.toBeInstanceOf(StoredFileMissingError);
    await expect(files.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a key that is a path', async () => {
    await expect(files.read('../etc/passwd')).rejects.toThrow('is not a stored file');
  });

  it('leaves nothing under the key when the body fails', async () => {
    const key = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';
    await expect(files.write(key, failingBody(Buffer.alloc(1000, 1)))).rejects.toThrow('client went away');
    await expect(files.stat(key)).rejects.toBeInstanceOf(StoredFileMissingError);
  });

  it('leaves nothing when the body fails before its file is even open (the size limit on the first chunk)', async () => {
    // Each body fails a few more microtasks after its write started than the one before, so that some fail
    // between the write stream's creation and the opening of its file (the next tick).
    const writes = Array.from({ length: 20 }, async (_, ticks) => {
      const key = randomUUID();
      const body = new Readable({ read: () => undefined }).on('error', () => undefined); // as the upload's is
      const written = files.write(key, body);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      body.destroy(new Error('too large'));
      await expect(written).rejects.toThrow('too large');
      return key;
    });
    const keys = await Promise.all(writes);
    // A file opened after its write gave up would appear meanwhile: another write and read queue behind it.
    await files.write(OTHER, Readable.from([Buffer.from('x')]));
    await expect(text(await files.read(OTHER))).resolves.toBe('x');
    for (const key of keys) await expect(files.stat(key)).rejects.toBeInstanceOf(StoredFileMissingError);
    await files.delete(OTHER);
  });

  it('passes its readiness check', async () => {
    await expect(files.check()).resolves.toBeUndefined();
  });
});

describe('the s3 file store', () => {
  it('aborts the multipart upload of a body that fails after its first part', async () => {
    const files = createFileStore(s3.settings);
    const key = '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b';
    // More than one 5 MB part: the upload is multipart by the time the body fails.
    await expect(files.write(key, failingBody(Buffer.alloc(6 * 1024 * 1024, 7)))).rejects.toThrow('client went away');
    expect(await s3.pendingUploads()).toEqual([]);
    expect(await s3.objectKeys()).not.toContain(`uploads/${key}`);
  });

  it('aborts multipart uploads left pending since before a time, and only ours', async () => {
    const files = createFileStore(s3.settings);
    await s3.beginUpload(`uploads/${KEY}-left`);
    const elsewhere = await s3.beginUpload('not-ours/file');
    expect(await files.abortStaleUploads(new Date(Date.now() - DAY_MS))).toBe(0);
    expect(await files.abortStaleUploads(new Date(Date.now() + DAY_MS))).toBe(1);
    expect(await s3.pendingUploads()).toEqual([elsewhere]);
  });

  it('keeps its objects under its prefix', async () => {
    expect(await s3.objectKeys()).toContain(`uploads/${KEY}`);
  });

  it('fails its readiness check when the bucket is missing', async () => {
    const files = createFileStore({ ...s3.settings, bucket: 'no-such-bucket' });
    await expect(files.check()).rejects.toThrow();
  });
});
