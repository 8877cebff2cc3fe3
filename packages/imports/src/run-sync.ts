import { createHash, randomUUID } from 'node:crypto';
import type { SyncAnswer, SyncRowError, WriteMode } from '@importer/contracts';
import {
  runIdempotent,
  syncEncoding,
  toImportView,
  writeSyncBatch,
  type IdempotencyClaim,
  type Idempotent,
  type ImportView,
  type Pool,
} from '@importer/db';
import type { Cell } from './cells';
import { BadFileError } from './errors';
import { mapHeaders, type HeaderMap } from './headers';
import { LookupCache } from './lookups';
import { parseImportOptions } from './options';
import { ChunkPreparer } from './prepare-chunk';
import type { Profile } from './profiles';
import type { SourceRecord } from './readers';

export interface SyncEngineDeps {
  pool: Pool;
  limits: { maxCellChars: number; maxStoredErrors: number };
}

/** A batch of `POST /sync/:profile`, its shape already checked (`syncRequestSchema`). */
export interface SyncBatchInput {
  profile: Profile;
  rows: readonly Readonly<Record<string, Cell>>[];
  mode: WriteMode;
  dryRun: boolean;
  createdBy: string | null;
  /** The request's Idempotency-Key, when it sent one. */
  idempotency: IdempotencyClaim | null;
}

/** What a written batch gives: the answer, and its import as recorded. */
export interface SyncResult {
  answer: SyncAnswer;
  record: ImportView;
}

/** A batch whose keys cannot be read as columns (two keys naming one column): the request is refused. */
export class BadSyncBatchError extends Error {
  override name = 'BadSyncBatchError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The file name a sync import's record shows: it has no file. */
export const SYNC_FILE_NAME = 'sync-batch.json';

/**
 * Writes a batch of JSON rows as one chunk of a file is written (docs/api.md, "Sync"): the keys are matched
 * to the profile's columns as headers are, the rows validated, looked up (a cache per batch) and written
 * set-based with their row errors and totals, all in one transaction with the batch's import record
 * (`source: sync`) and, when the request sent one, its Idempotency-Key's answer. Row `index + 2` is the
 * row number its errors are stored under (as if row 1 were a header), so the import's error reports read
 * as a file's. A bad row is an error entry of the answer, never an exception.
 */
export async function runSync(deps: SyncEngineDeps, batch: SyncBatchInput): Promise<Idempotent<SyncResult>> {
  const { profile } = batch;
  const headers = keysOf(batch.rows);
  const mapped = mapKeys(profile, headers);
  const records: SourceRecord[] = batch.rows.map((row, index) => ({
    row: index + 2,
    cells: mapped.headers.map((header) => (Object.hasOwn(row, header) ? (row[header] ?? null) : null)),
  }));
  const options = parseImportOptions({ mode: batch.mode, dryRun: batch.dryRun });
  const body = JSON.stringify(batch.rows);
  const id = randomUUID();

  return runIdempotent(deps.pool, batch.idempotency, async (tx) => {
    const preparer = new ChunkPreparer(
      profile,
      mapped.map.columns,
      new LookupCache(),
      options,
      { db: tx, maxCellChars: deps.limits.maxCellChars },
      () => syncEncoding(profile.table),
      1,
    );
    await preparer.add(records);
    const chunk = preparer.take();
    const stored = await writeSyncBatch(tx, {
      record: {
        id,
        profile: profile.name,
        options,
        fileName: SYNC_FILE_NAME,
        fileSize: Buffer.byteLength(body),
        fileSha256: createHash('sha256').update(body).digest('hex'),
        fileKey: `sync:${id}`,
        fileFormat: 'json',
        createdBy: batch.createdBy,
        headers,
        unknownColumns: mapped.map.unknown,
      },
      table: profile.table,
      mode: options.mode,
      dryRun: options.dryRun,
      maxStoredErrors: deps.limits.maxStoredErrors,
      chunk,
    });
    const record = toImportView(stored);
    const errors: SyncRowError[] = chunk.issues
      .filter((issue) => issue.level === 'error')
      .map((issue) => ({ index: issue.row - 2, column: issue.column, code: issue.code, message: issue.message }));
    const { totals } = record;
    const answer: SyncAnswer = {
      status: totals.failed === 0 ? 'success' : totals.failed === totals.rows ? 'failed' : 'partial_success',
      importId: id,
      created: totals.created,
      updated: totals.updated,
      unchanged: totals.unchanged,
      skipped: totals.skipped,
      failed: totals.failed,
      errors,
    };
    return { value: { answer, record }, answer: { statusCode: 200, body: answer }, importId: id };
  });
}

/** Every key of the rows, in the order first seen: the batch's "header row". */
function keysOf(rows: readonly Readonly<Record<string, Cell>>[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
  return [...keys];
}

/**
 * The keys matched to columns as a file's headers are. A required column no key names is added (blank in
 * every row), so that each row fails with `required` rather than the whole batch; two keys naming one column
 * refuse the batch.
 */
function mapKeys(profile: Profile, keys: readonly string[]): { map: HeaderMap; headers: string[] } {
  try {
    return { map: mapHeaders(profile, keys), headers: [...keys] };
  } catch (error) {
    if (!(error instanceof BadFileError)) throw error;
    if (error.code === 'missing_columns') {
      const headers = [...keys, ...(error.details?.missing as string[])];
      return { map: mapHeaders(profile, headers), headers };
    }
    const named = (error.details?.headers as string[] | undefined) ?? [];
    const column = error.details?.column as string | null | undefined;
    throw new BadSyncBatchError(
      'duplicate_keys',
      `The keys ${named.map((key) => JSON.stringify(key)).join(' and ')} ${column ? `both name the column "${column}"` : 'are the same once case and accents are ignored'}; send each column under one key.`,
      { keys: named, column: column ?? null },
    );
  }
}
