/**
 * A real S3-compatible server for tests: s3rver (the S3 API over a folder), on a free port of 127.0.0.1
 * with a temporary folder of its own, stopped and removed by `close()`.
 *
 * s3rver 3 answers every call the file store makes but two, which it leaves unimplemented:
 * AbortMultipartUpload and ListMultipartUploads. They are added here, on s3rver's own layout of a pending
 * upload (a folder per upload id, under the bucket's `._S3rver_uploads`, holding the key and the parts), so
 * that an aborted upload is really gone. `pendingUploads()` reads that folder directly, not through them.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateMultipartUploadCommand, GetObjectCommand, ListObjectsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { StorageSettings } from '@importer/config';

/** What is used here of s3rver 3, a Koa application (it has no types of its own). */
interface S3rverContext {
  method: string;
  url: string;
  status: number;
  type: string;
  body: unknown;
}
interface S3rver {
  /** Koa's middleware, run in order on each request. */
  middleware: ((ctx: S3rverContext, next: () => Promise<void>) => Promise<void>)[];
  httpServer?: Server;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rver;
const S3rver = createRequire(__filename)('s3rver') as S3rverClass;

/** s3rver's own key pair (it checks request signatures against it). */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface TestS3Options {
  /** The bucket (made at start unless `createBucket` is false). */
  bucket?: string;
  createBucket?: boolean;
  /** Key prefix of the store's settings. */
  prefix?: string;
}

export async function startTestS3(options: TestS3Options = {}) {
  const bucket = options.bucket ?? 'importer-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'importer-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: options.createBucket === false ? [] : [{ name: bucket }],
  });
  const uploadsOf = (name: string) => path.join(directory, name, '._S3rver_uploads');

  server.middleware.unshift(async (ctx, next) => {
    const url = new URL(ctx.url, 'http://s3');
    const [name = '', ...rest] = url.pathname.slice(1).split('/');
    const uploadId = url.searchParams.get('uploadId');
    if (ctx.method === 'DELETE' && uploadId !== null && rest.length > 0) {
      // AbortMultipartUpload
      if (!/^[\w-]+$/.test(uploadId)) throw new Error(`not an upload id: ${uploadId}`);
      const folder = path.join(uploadsOf(name), uploadId);
      if (!(await stat(folder).catch(() => null))) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>No such upload</Message></Error>';
        return;
      }
      await rm(folder, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && url.searchParams.has('uploads') && rest.join('') === '') {
      // ListMultipartUploads (all of them in one page: a test holds a few)
      const prefix = url.searchParams.get('prefix') ?? '';
      const uploads: string[] = [];
      for (const id of await readdir(uploadsOf(name)).catch(() => [] as string[])) {
        const keyFile = path.join(uploadsOf(name), id, 'key');
        const key = await readFile(keyFile, 'utf8').catch(() => null);
        if (key === null || !key.startsWith(prefix)) continue;
        const initiated = (await stat(keyFile)).mtime.toISOString();
        uploads.push(`<Upload><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${escapeXml(name)}</Bucket><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    await next();
  });

  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const settings = {
    driver: 's3',
    bucket,
    prefix: options.prefix ?? '',
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  } satisfies StorageSettings;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS });

  return {
    bucket,
    endpoint,
    /** The file store's settings (`createFileStore(settings)`). */
    settings,
    /** The environment that points a worker process at this bucket. */
    env: {
      STORAGE_DRIVER: 's3',
      S3_BUCKET: bucket,
      S3_PREFIX: options.prefix ?? '',
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    },

    /** The bytes of the object at `key` (the bucket's key: with the prefix). */
    async objectBytes(key: string): Promise<Buffer> {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },

    /** Begins a multipart upload at `key` and sends it one part, as an upload that died half-way; its id. */
    async beginUpload(key: string): Promise<string> {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.from('part') }));
      return UploadId ?? '';
    },

    /** Every object key in the bucket. */
    async objectKeys(): Promise<string[]> {
      const keys: string[] = [];
      let Marker: string | undefined;
      for (;;) {
        const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Marker }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
        Marker = page.Contents?.at(-1)?.Key;
        if (!page.IsTruncated || Marker === undefined) break;
      }
      return keys;
    },

    /** The ids of the multipart uploads begun and neither completed nor aborted, read from s3rver's folder. */
    async pendingUploads(): Promise<string[]> {
      return readdir(uploadsOf(bucket)).catch(() => []);
    },

    async close(): Promise<void> {
      client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export type TestS3 = Awaited<ReturnType<typeof startTestS3>>;
