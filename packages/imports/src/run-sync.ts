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
import { columnNamed, mapHeaders, type HeaderMap } from './headers';
import { LookupCache } from './lookups';
import { parseImportOptions } from './options';
import { ChunkPreparer } from './prepare-chunk';
import type { Profile } from './profiles';
import type { SourceRecord } from './readers';
import { foldHeader } from './text';

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
  const { headers, records } = batchRecords(profile, batch.rows);
  const mapped = mapColumns(profile, headers);
  const options = parseImportOptions({ mode: batch.mode, dryRun: batch.dryRun });
  const body = JSON.stringify(batch.rows);
  const id = randomUUID();

  return runIdempotent(deps.pool, batch.idempotency, async (tx) => {
    const preparer = new ChunkPreparer(
      profile,
      mapped.columns,
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
        unknownColumns: mapped.unknown,
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

/**
 * The batch as a file: its "header row" (in the order first seen, one header per column the keys name, by
 * the column's name, and each unknown key as sent) and its records (row = index + 2, cells under those
 * headers). Rows may spell a column differently (`siren`, `SIREN`); one row naming a column twice is refused.
 */
function batchRecords(profile: Profile, rows: readonly Readonly<Record<string, Cell>>[]): { headers: string[]; records: SourceRecord[] } {
  const named = columnNamed(profile);
  const headers: string[] = [];
  /** Position in `headers` of each key seen, and of each header (a column's name, or a folded unknown key). */
  const positionOfKey = new Map<string, number>();
  const positionOfHeader = new Map<string, number>();
  const position = (key: string): number => {
    let at = positionOfKey.get(key);
    if (at !== undefined) return at;
    const column = named(key)?.name;
    const header = column ?? `unknown:${foldHeader(key)}`;
    at = positionOfHeader.get(header);
    if (at === undefined) {
      at = headers.push(column ?? key) - 1;
      positionOfHeader.set(header, at);
    }
    positionOfKey.set(key, at);
    return at;
  };
  const records = rows.map((row, index): SourceRecord => {
    const keys = Object.keys(row);
    const positions = keys.map(position);
    const cells = new Array<Cell>(headers.length).fill(null);
    const keyAt = new Map<number, string>();
    positions.forEach((at, k) => {
      const key = keys[k] as string;
      const earlier = keyAt.get(at);
      if (earlier !== undefined) {
        throw new BadSyncBatchError(
          'duplicate_keys',
          `Row ${index} has the keys ${JSON.stringify(earlier)} and ${JSON.stringify(key)}, which both name the column "${headers[at]}"; send each column under one key.`,
          { index, keys: [earlier, key], column: headers[at] ?? null },
        );
      }
      keyAt.set(at, key);
      cells[at] = row[key] ?? null;
    });
    return { row: index + 2, cells };
  });
  return { headers, records };
}

/**
 * The batch's headers matched to columns as a file's are. A required column no key names is mapped to a
 * blank column after the headers, so that each row fails with `required` rather than the whole batch.
 */
function mapColumns(profile: Profile, headers: readonly string[]): HeaderMap {
  try {
    return mapHeaders(profile, headers);
  } catch (error) {
    if (!(error instanceof BadFileError) || error.code !== 'missing_columns') throw error;
    return mapHeaders(profile, [...headers, ...(error.details?.missing as string[])]);
  }
}
