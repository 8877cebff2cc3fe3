import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checkKey, StoredFileMissingError, type ByteRange, type FileStore, type StoredObject } from './file-store';

export interface S3StoreSettings {
  bucket: string;
  /** The folder of the bucket the files are kept in (`a/b`, `a/b/`); empty: the bucket's root. */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's default credential chain (environment, shared files, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Bytes of each part of a multipart upload (S3's least but for the last). An upload holds at most
 * `UPLOAD_QUEUE` parts in memory at once: a 100 MB file never does.
 */
const PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE = 2;

const statusOf = (error: unknown) => (error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined);
const isNotFound = (error: unknown) =>
  statusOf(error) === 404 || (error as { name?: string }).name === 'NoSuchKey' || (error as { name?: string }).name === 'NotFound';

/**
 * The `s3` driver: one object per key, under `prefix`, in an S3-compatible bucket. Uploads stream in parts
 * (`@aws-sdk/lib-storage`), reads stream the object's body (a byte range when asked).
 */
export function createS3FileStore(settings: S3StoreSettings): FileStore {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    // Checksums only where S3 requires them: S3-compatible services (MinIO, …) do not all know the newer ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  const folder = settings.prefix.replace(/^\/+|\/+$/g, '');
  const prefix = folder ? `${folder}/` : '';
  const objectKey = (key: string) => prefix + checkKey(key);
  /** A listed object's key without the prefix; null for one in a subfolder, not ours. */
  const ownKey = (listed: string | undefined) => {
    if (!listed?.startsWith(prefix)) return null;
    const key = listed.slice(prefix.length);
    return key && !key.includes('/') ? key : null;
  };

  return {
    driver: 's3',

    async write(key, body) {
      const upload = new Upload({
        client,
        params: { Bucket, Key: objectKey(key), Body: body },
        partSize: PART_BYTES,
        queueSize: UPLOAD_QUEUE,
        // On any failure the multipart upload is aborted: its parts do not linger (and cost) in the bucket.
        leavePartsOnError: false,
      });
      // A failing body (the client went away, a limit) fails the part being read: lib-storage then aborts the
      // multipart upload before `done()` rejects.
      try {
        await upload.done();
      } catch (error) {
        // Defensive: whatever may have been stored under the key is not to be kept.
        await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) })).catch(() => undefined);
        throw body.errored ?? error;
      }
    },

    async read(key: string, range?: ByteRange): Promise<Readable> {
      const Range = range ? `bytes=${range.start}-${range.end ?? ''}` : undefined;
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key), Range }));
        return answer.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) throw new StoredFileMissingError(key, { cause: error });
        // A range that starts at the end of the file is empty (as a file's read stream is), not an error.
        if (statusOf(error) === 416) return Readable.from([]);
        throw error;
      }
    },

    // The body's own pieces (socket reads): an HTTP body cannot be read into a buffer of ours.
    async scan(key, look) {
      for await (const piece of (await this.read(key)) as AsyncIterable<Buffer>) if (!look(piece)) return;
    },

    async stat(key) {
      try {
        const answer = await client.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
        return { key, size: answer.ContentLength ?? 0, modifiedAt: answer.LastModified ?? new Date(0) };
      } catch (error) {
        if (isNotFound(error)) throw new StoredFileMissingError(key, { cause: error });
        throw error;
      }
    },

    async delete(key) {
      // Deleting an object that is not there succeeds.
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },

    async *list(before, batch) {
      // ListObjects paged by Marker (the last key seen: keys come in order), which every S3-compatible service
      // answers alike; V2's continuation tokens are opaque and not all services make them (s3rver cannot on Node 20).
      let Marker: string | undefined;
      for (;;) {
        const page = await client.send(new ListObjectsCommand({ Bucket, Prefix: prefix || undefined, MaxKeys: batch, Marker }));
        const found: StoredObject[] = [];
        for (const object of page.Contents ?? []) {
          const key = ownKey(object.Key);
          if (key && object.LastModified && object.LastModified < before) {
            found.push({ key, size: object.Size ?? 0, modifiedAt: object.LastModified });
          }
        }
        yield found;
        Marker = page.Contents?.at(-1)?.Key;
        if (!page.IsTruncated || Marker === undefined) return;
      }
    },

    async abortStaleUploads(before) {
      let aborted = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: prefix || undefined, KeyMarker, UploadIdMarker }));
        for (const upload of page.Uploads ?? []) {
          if (!ownKey(upload.Key) || !upload.Initiated || upload.Initiated >= before) continue;
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: upload.Key, UploadId: upload.UploadId }));
          aborted++;
        }
        if (!page.IsTruncated) return aborted;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    },

    async check() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
  };
}
