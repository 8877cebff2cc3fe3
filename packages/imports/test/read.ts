import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSource, type FileFormat, type ReadLimits, type Source, type SourceRecord } from '../src/readers';

export const LIMITS: ReadLimits = {
  maxColumns: 200,
  maxCellChars: 32 * 1024,
  maxRecordChars: 200 * 32 * 1024,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxXlsCells: 1_000_000,
  xlsMemoryMb: 640,
};

let dir: string | null = null;
let counter = 0;

/** Writes `content` to a temporary file (removed by `cleanUp`). */
export async function tempFile(content: Buffer | string, extension = 'csv'): Promise<string> {
  dir ??= await mkdtemp(path.join(tmpdir(), 'importer-readers-'));
  const file = path.join(dir, `file-${++counter}.${extension}`);
  await writeFile(file, content);
  return file;
}

export async function cleanUp(): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
}

export interface ReadResult {
  source: Source;
  headers: string[];
  records: SourceRecord[];
}

/** Opens a file's content with the reader for `format` and reads every record after the header. */
export async function readAll(
  content: Buffer | string,
  format: FileFormat = 'csv',
  options: { limits?: Partial<ReadLimits>; sheet?: string; batchSize?: number } = {},
): Promise<ReadResult> {
  const file = await tempFile(content, format);
  const source = await openSource(file, format, { ...LIMITS, ...options.limits }, { sheet: options.sheet });
  try {
    const records: SourceRecord[] = [];
    for await (const batch of source.batches(options.batchSize ?? 1000)) records.push(...batch);
    return { source, headers: source.headers, records };
  } finally {
    await source.close();
  }
}

/** An error the import code throws: an ImportError carries its code and details. */
type ThrownError = Error & { code?: string; details?: Record<string, unknown> };

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ThrownError> {
  try {
    await promise;
  } catch (error) {
    return error as ThrownError;
  }
  throw new Error('expected a rejection');
}

/** The error a call throws (fails the test when it returns). */
export function thrown(call: () => unknown): ThrownError {
  try {
    call();
  } catch (error) {
    return error as ThrownError;
  }
  throw new Error('expected an error');
}
