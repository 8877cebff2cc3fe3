import { importOptionsSchema, type ImportSource } from '@importer/contracts';
import type { Import } from '../generated/prisma/client';
import type { Queryable } from '../pool';
import type { NewImport } from '../repositories/imports';
import { storableText, storableTexts } from '../storable-text';

/**
 * The import record on plain `pg`, for the transactions that create one together with other rows: an upload
 * with its Idempotency-Key, a sync batch with its rows. Its columns are selected under the Prisma model's
 * field names, so that the repository's mapper (`toImportView`) reads them as it reads Prisma's rows.
 */
export const IMPORT_COLUMNS = `"id", "profile", "source", "options", "status", "file_name" AS "fileName", "file_size" AS "fileSize",
  "file_sha256" AS "fileSha256", "file_key" AS "fileKey", "file_format" AS "fileFormat", "file_encoding" AS "fileEncoding",
  "file_delimiter" AS "fileDelimiter", "file_sheet" AS "fileSheet", "file_headers" AS "fileHeaders",
  "unknown_columns" AS "unknownColumns", "file_purged_at" AS "filePurgedAt", "rows_total" AS "rowsTotal", "created", "updated",
  "unchanged", "skipped", "failed", "warnings", "stored_errors" AS "storedErrors", "checkpoint_row" AS "checkpointRow",
  "progress_percent" AS "progressPercent", "rows_per_second" AS "rowsPerSecond", "eta_seconds" AS "etaSeconds", "attempts",
  "error_code" AS "errorCode", "error_message" AS "errorMessage", "created_by" AS "createdBy", "created_at" AS "createdAt",
  "started_at" AS "startedAt", "finished_at" AS "finishedAt", "updated_at" AS "updatedAt", "mapping_source" AS "mappingSource",
  "parent_id" AS "parentId", "webhook_url" AS "webhookUrl", "revert_rows" AS "revertRows", "revert_checkpoint" AS "revertCheckpoint",
  "revert_processed" AS "revertProcessed", "revert_reverted" AS "revertReverted", "revert_kept" AS "revertKept",
  "revert_failed_referenced" AS "revertFailedReferenced", "revert_failed_missing" AS "revertFailedMissing",
  "revert_requested_by" AS "revertRequestedBy", "revert_started_at" AS "revertStartedAt", "revert_finished_at" AS "revertFinishedAt"`;

export interface NewRecordedImport extends NewImport {
  source: ImportSource;
  /** What was read, when known at creation (a sync batch's keys). */
  headers?: readonly string[];
  unknownColumns?: readonly string[];
  /** True when no stored file exists (a sync batch): the cleanup and a retry never look for one. */
  noStoredFile?: boolean;
}

/** Records a new import, its options stored with the defaults filled in (`queued`, the column's default: its status then moves through the lifecycle only). */
export async function insertImport(db: Queryable, input: NewRecordedImport): Promise<Import> {
  const { rows } = await db.query<Import>({
    name: 'insert_import',
    text: `INSERT INTO "imports" ("id", "profile", "source", "options", "file_name", "file_size", "file_sha256", "file_key",
             "file_format", "file_headers", "unknown_columns", "file_purged_at", "created_by", "parent_id", "webhook_url")
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $12 THEN now() END, $13, $14, $15)
           RETURNING ${IMPORT_COLUMNS}`,
    values: [
      input.id,
      input.profile,
      input.source,
      JSON.stringify(importOptionsSchema.parse(input.options)),
      storableText(input.fileName),
      input.fileSize,
      input.fileSha256,
      input.fileKey,
      input.fileFormat,
      storableTexts(input.headers ?? []),
      storableTexts(input.unknownColumns ?? []),
      input.noStoredFile ?? false,
      input.createdBy,
      input.parentId ?? null,
      input.webhookUrl ?? null,
    ],
  });
  return rows[0] as Import;
}

/** The import record as it stands in this transaction. */
export async function readImport(db: Queryable, id: string): Promise<Import | null> {
  const { rows } = await db.query<Import>({
    name: 'read_import',
    text: `SELECT ${IMPORT_COLUMNS} FROM "imports" WHERE "id" = $1`,
    values: [id],
  });
  return rows[0] ?? null;
}
