/**
 * The import record as the API shows it, read on plain `pg` (the read path polling clients hit: `GET
 * /imports/:id`, the list, the progress streams): one named statement per read, the record's re-submissions
 * aggregated in it (`imports_parent_id_idx`) rather than fetched by a second query, the list paged by
 * (created_at, id) keyset (`imports_created_at_id_idx`, or the status, profile or source index with its
 * filter). Columns are selected under the Prisma model's field names (`IMPORT_COLUMNS`), so that
 * `toImportView` maps them as it maps Prisma's rows.
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

type ImportViewRow = Import & { resubmissions: ResubmissionRow[] };

const RESUBMISSIONS = `COALESCE((
    SELECT json_agg(json_build_object('id', r."id", 'status', r."status", 'rowsTotal', r."rows_total", 'failed', r."failed")
                    ORDER BY r."created_at", r."id")
    FROM "imports" r WHERE r."parent_id" = i."id"), '[]') AS "resubmissions"`;

/** `IMPORT_COLUMNS` of the outer `imports` row, qualified: the re-submissions' subquery reads the same table. */
const VIEW_COLUMNS = IMPORT_COLUMNS.replace(/(^|,\s*)"/g, '$1i."');

export async function readImportView(db: Queryable, id: string): Promise<ImportViewRow | null> {
  const { rows } = await db.query<ImportViewRow>({
    name: 'read_import_view',
    text: `SELECT ${VIEW_COLUMNS}, ${RESUBMISSIONS} FROM "imports" i WHERE i."id" = $1`,
    values: [id],
  });
  return rows[0] ?? null;
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
  const { rows } = await db.query<ImportViewRow>({
    name: `list_import_views_${shape.join('')}`,
    text: `SELECT ${VIEW_COLUMNS}, ${RESUBMISSIONS} FROM "imports" i
           ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY i."created_at" DESC, i."id" DESC LIMIT ${param(filter.take)}`,
    values,
  });
  return rows;
}
