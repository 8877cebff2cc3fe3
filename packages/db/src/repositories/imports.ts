import {
  type FileFormat,
  type ImportOptions,
  type ImportOptionsInput,
  type ImportSource,
  type ImportStatus,
  type ImportView,
  type MappingSource,
  type Page,
  type Resubmission,
  type RowError,
} from '@importer/contracts';
import type { Import, ImportRowError, Prisma } from '../generated/prisma/client';
import type { Queryable } from '../pool';
import type { PrismaClient } from '../prisma';
import { listImportViews, readImportView, type ImportViewRow, type ResubmissionRow } from '../sql/import-views';
import { storableText, storableTexts } from '../storable-text';
import { decodeImportsCursor, decodeRowErrorsCursor, encodeCursor } from './cursors';

/** The import record as the API shows it: the contract's `ImportView` (docs/api.md, "The import record"). */
export type { ImportView };

export interface NewImport {
  id: string;
  profile: string;
  /** Stored with the defaults filled in. */
  options: ImportOptionsInput;
  fileName: string;
  fileSize: number;
  fileSha256: string;
  fileKey: string;
  fileFormat: FileFormat;
  createdBy: string | null;
  /** The import whose failed rows this one re-submits (`POST /imports/:id/resubmit`). */
  parentId?: string | null;
  /** The import's own webhook target (docs/api.md, "Webhooks"). */
  webhookUrl?: string | null;
}

export interface FileDialect {
  encoding: string | null;
  delimiter: string | null;
  sheet: string | null;
  headers: string[];
  unknownColumns: string[];
  /** How the headers were matched (docs/profiles.md, "Column mappings"). */
  mappingSource?: MappingSource;
}

/** A timestamp as the API shows it; the view statements' rows already hold it so (`isoTimestamp`). */
const isoText = (time: Date | string) => (typeof time === 'string' ? time : time.toISOString());
const iso = (time: Date | string | null) => (time === null ? null : isoText(time));

/** A record read by Prisma or `pg` (timestamps as `Date` objects), or by the view statements (`ImportViewRow`). */
type ImportRecord = Import | ImportViewRow;

/** A re-submission's rows that did not fail fixed their row of the parent; its failed rows still fail. */
const toResubmission = (child: ResubmissionRow): Resubmission => ({
  id: child.id,
  status: child.status as ImportStatus,
  fixed: child.rowsTotal - child.failed,
  stillFailing: child.failed,
});

/**
 * The import record as the API shows it. A record read without its re-submissions (one just created in a
 * transaction, `sql/import-record.ts`) has none yet.
 */
export function toImportView(row: ImportRecord & { resubmissions?: ResubmissionRow[] }): ImportView {
  return {
    id: row.id,
    profile: row.profile,
    source: row.source as ImportSource,
    // Written by `create` through the contract's schema.
    options: row.options as ImportOptions,
    status: row.status as ImportStatus,
    file: {
      name: row.fileName,
      size: Number(row.fileSize),
      sha256: row.fileSha256,
      format: row.fileFormat as FileFormat,
      encoding: row.fileEncoding,
      delimiter: row.fileDelimiter,
      sheet: row.fileSheet,
      headers: row.fileHeaders,
      unknownColumns: row.unknownColumns,
      // Written by `recordDialect` from `MappingSource`.
      mappingSource: row.mappingSource as MappingSource | null,
      purged: row.filePurgedAt !== null,
    },
    totals: {
      rows: row.rowsTotal,
      created: row.created,
      updated: row.updated,
      unchanged: row.unchanged,
      skipped: row.skipped,
      failed: row.failed,
      warnings: row.warnings,
    },
    progress: {
      processedRows: row.rowsTotal,
      percent: Math.round(row.progressPercent * 10) / 10,
      rowsPerSecond: row.rowsPerSecond === null ? null : Math.round(row.rowsPerSecond),
      etaSeconds: row.etaSeconds,
    },
    attempts: row.attempts,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    createdBy: row.createdBy,
    createdAt: isoText(row.createdAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    parentId: row.parentId,
    resubmissions: (row.resubmissions ?? []).map(toResubmission),
    webhookUrl: row.webhookUrl,
    revert: revertView(row),
  };
}

/** The import's revert, from its `revert_*` columns (docs/write-semantics.md, "Lineage and revert"). */
function revertView(row: ImportRecord): ImportView['revert'] {
  if (row.revertStartedAt === null) return null;
  const failed = row.revertFailedReferenced + row.revertFailedMissing;
  return {
    reverted: row.revertReverted,
    kept: row.revertKept,
    failed,
    failures: { referenced: row.revertFailedReferenced, missing: row.revertFailedMissing },
    rows: row.revertRows,
    processedRows: row.revertProcessed,
    requestedBy: row.revertRequestedBy,
    startedAt: iso(row.revertStartedAt),
    finishedAt: iso(row.revertFinishedAt),
  };
}

/**
 * Import records: written and read whole through Prisma, except the record as the API shows it (`find`,
 * `list`), which polling clients read all the time: one plain `pg` statement each (`sql/import-views.ts`) on
 * `db`, the pool Prisma's adapter also uses.
 */
export function createImportsRepository(prisma: PrismaClient, db: Queryable) {
  return {
    async get(id: string): Promise<Import | null> {
      return prisma.import.findUnique({ where: { id } });
    },

    async find(id: string): Promise<ImportView | null> {
      const row = await readImportView(db, id);
      return row ? toImportView(row) : null;
    },

    /** Newest first, by (createdAt, id) keyset. */
    async list(filter: {
      status?: ImportStatus;
      profile?: string;
      source?: ImportSource;
      limit: number;
      cursor?: string;
    }): Promise<Page<ImportView>> {
      const after = filter.cursor ? decodeImportsCursor(filter.cursor) : undefined;
      const { status, profile, source } = filter;
      const rows = await listImportViews(db, { status, profile, source, after, take: filter.limit + 1 });
      const items = rows.slice(0, filter.limit);
      const last = items.at(-1);
      return {
        items: items.map(toImportView),
        nextCursor: rows.length > filter.limit && last ? encodeCursor([last.createdAt, last.id]) : null,
      };
    },

    /** Row errors in row order, by (row, id) keyset; of one column and code when asked (an error group). */
    async listErrors(importId: string, page: { limit: number; cursor?: string; column?: string; code?: string }): Promise<Page<RowError>> {
      const where: Prisma.ImportRowErrorWhereInput = { importId, column: page.column, code: page.code };
      if (page.cursor) {
        const { row, id } = decodeRowErrorsCursor(page.cursor);
        where.OR = [{ row: { gt: row } }, { row, id: { gt: id } }];
      }
      const rows: ImportRowError[] = await prisma.importRowError.findMany({
        where,
        orderBy: [{ row: 'asc' }, { id: 'asc' }],
        take: page.limit + 1,
      });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        // `level` is `error` or `warning`: the table's CHECK.
        items: items.map(({ row, level, column, code, message, value }) => ({
          row,
          level: level as RowError['level'],
          column,
          code,
          message,
          value,
        })),
        nextCursor: rows.length > page.limit && last ? encodeCursor([last.row, last.id.toString()]) : null,
      };
    },

    async recordDialect(id: string, dialect: FileDialect): Promise<void> {
      await prisma.import.update({
        where: { id },
        data: {
          fileEncoding: dialect.encoding,
          fileDelimiter: dialect.delimiter,
          fileSheet: dialect.sheet === null ? null : storableText(dialect.sheet),
          fileHeaders: storableTexts(dialect.headers),
          unknownColumns: storableTexts(dialect.unknownColumns),
          mappingSource: dialect.mappingSource,
        },
      });
    },
  };
}

export type ImportsRepository = ReturnType<typeof createImportsRepository>;
