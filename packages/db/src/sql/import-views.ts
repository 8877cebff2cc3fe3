/**
 * The import record as the API shows it, read on plain `pg` (the read path polling clients hit: `GET
 * /imports/:id`, the list, the progress streams): one named statement per read, the record's re-submissions
 * aggregated in it (`imports_parent_id_idx`) rather than fetched by a second query, the list paged by
 * (created_at, id) keyset (`imports_created_at_id_idx`, or the status, profile or source index with its
 * filter). Columns are named after the Prisma model's fields (`IMPORT_COLUMNS`), so that `toImportView` maps
 * them as it maps Prisma's rows.
 *
 * Each record comes as one `json` value (`row_to_json`), which pg hands to one `JSON.parse`, rather than as
 * some 45 columns, each a string of its own for a parser of its own (the timestamps into `Date` objects, only
 * to be written back as text): counted with callgrind in process, a page of 21 records went from 3.7 to 1.7
 * million instructions in the API (its main thread is what bounds the list's requests per second), for
 * ≈ 0.1 ms more of PostgreSQL's CPU.
 */
import type { ImportSource, ImportStatus } from '@importer/contracts';
import type { Import } from '../generated/prisma/client';
import type { Queryable } from '../pool';
import { IMPORT_COLUMNS } from './import-record';

/** What `toImportView` reads of each re-submission. */
export interface ResubmissionRow {
  id: string;
  status: string;
  rowsTotal: number;
  failed: number;
}

/** The record's columns `toImportView` does not read: left out of the statements. */
type Unread = 'fileKey' | 'storedErrors' | 'checkpointRow' | 'updatedAt' | 'revertCheckpoint';
const UNREAD: ReadonlySet<string> = new Set<Unread>(['fileKey', 'storedErrors', 'checkpointRow', 'updatedAt', 'revertCheckpoint']);

/**
 * A record as the view statements return it: its JSON, so its timestamps are text (rewritten as
 * `Date#toISOString` writes them, `isoTimestamp`) and its file size a number.
 */
export type ImportViewRow = {
  [K in Exclude<keyof Import, Unread>]: Import[K] extends Date
    ? string
    : Import[K] extends Date | null
      ? string | null
      : Import[K] extends bigint
        ? number
        : Import[K];
} & { resubmissions: ResubmissionRow[] };

const TIMESTAMPS = ['createdAt', 'startedAt', 'finishedAt', 'filePurgedAt', 'revertStartedAt', 'revertFinishedAt'] as const;

/** PostgreSQL's JSON of a `timestamptz(3)` in a UTC session: `2026-12-07T18:04:05.12+00:00` (its fraction's trailing zeros dropped). */
const UTC_JSON_TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,3}))?\+00:00$/;

/**
 * A timestamp of the JSON as `Date#toISOString` writes it (`2026-12-07T18:04:05.120Z`), without a `Date` when
 * the session's time zone is UTC; through one otherwise (another offset: the same instant, in UTC).
 */
function isoTimestamp(json: string): string {
  const utc = UTC_JSON_TIMESTAMP.exec(json);
  return utc ? `${utc[1]}.${(utc[2] ?? '').padEnd(3, '0')}Z` : new Date(json).toISOString();
}

function viewRow(row: { view: ImportViewRow }): ImportViewRow {
  const view = row.view;
  for (const key of TIMESTAMPS) {
    const value = view[key];
    if (value !== null) view[key] = isoTimestamp(value);
  }
  return view;
}

const RESUBMISSIONS = `COALESCE((
    SELECT json_agg(json_build_object('id', r."id", 'status', r."status", 'rowsTotal', r."rows_total", 'failed', r."failed")
                    ORDER BY r."created_at", r."id")
    FROM "imports" r WHERE r."parent_id" = i."id"), '[]') AS "resubmissions"`;

/** The columns the view reads, of the outer `imports` row, qualified: the re-submissions' subquery reads the same table. */
const VIEW_COLUMNS = IMPORT_COLUMNS.split(/,\s*/)
  .filter((column) => !UNREAD.has(/"(\w+)"$/.exec(column)![1]!))
  .map((column) => `i.${column}`)
  .join(', ');

/**
 * The record of each `imports i` row the statement's `tail` keeps, as one JSON value: the lateral subquery
 * only names the columns (PostgreSQL folds it into the outer query), so the rows keep the tail's order.
 */
const viewsOf = (tail: string) =>
  `SELECT row_to_json(v) AS "view" FROM "imports" i, LATERAL (SELECT ${VIEW_COLUMNS}, ${RESUBMISSIONS}) v ${tail}`;

export async function readImportView(db: Queryable, id: string): Promise<ImportViewRow | null> {
  const { rows } = await db.query<{ view: ImportViewRow }>({
    name: 'read_import_view',
    text: viewsOf('WHERE i."id" = $1'),
    values: [id],
  });
  return rows[0] ? viewRow(rows[0]) : null;
}

interface ImportViewsFilter {
  status?: ImportStatus;
  profile?: string;
  source?: ImportSource;
  /** Items after this (created_at, id), newest first. */
  after?: { createdAt: Date; id: string };
  /** Rows to read: the page's size plus one, to know whether another page follows. */
  take: number;
}

/**
 * A page of the list, newest first. The statement's text depends only on which filters are set, so each
 * combination is one named (prepared) statement.
 */
export async function listImportViews(db: Queryable, filter: ImportViewsFilter): Promise<ImportViewRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (filter.status !== undefined) where.push(`i."status" = ${param(filter.status)}`);
  if (filter.profile !== undefined) where.push(`i."profile" = ${param(filter.profile)}`);
  if (filter.source !== undefined) where.push(`i."source" = ${param(filter.source)}`);
  if (filter.after) where.push(`(i."created_at", i."id") < (${param(filter.after.createdAt)}, ${param(filter.after.id)}::uuid)`);
  const shape = ['status', 'profile', 'source', 'after'].map((key) => (filter[key as keyof ImportViewsFilter] === undefined ? 0 : 1));
  const { rows } = await db.query<{ view: ImportViewRow }>({
    name: `list_import_views_${shape.join('')}`,
    text: viewsOf(`${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY i."created_at" DESC, i."id" DESC LIMIT ${param(filter.take)}`),
    values,
  });
  return rows.map(viewRow);
}
