/*
 * The webhooks' outbox (docs/api.md, "Webhooks"): the deliveries of a finished import are inserted by the
 * very statement that finishes it (`import-lifecycle.ts`), so an import is never finished without them nor
 * they without it. One `INSERT … SELECT` per statement, whatever the number of endpoints, and a
 * `pg_notify` that PostgreSQL sends only once the transaction commits: workers listening enqueue the jobs
 * (`listenForDeliveries`), the reconciler any they missed.
 */

/** The channel that tells workers an import has new deliveries (its id as the payload), sent at commit. */
export const WEBHOOK_DELIVERIES_CHANNEL = 'importer_webhook_deliveries';

const isoTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The import record exactly as `GET /imports/:id` shows it (`toImportView` in `repositories/imports.ts`),
 * built by PostgreSQL from a row of `imports` named `alias`, so that the statement finishing the import can
 * store it in the deliveries' payload. Keep both in step: the webhooks test compares them field by field.
 */
export function importViewJson(alias: string): string {
  const a = (column: string) => `${alias}."${column}"`;
  return `jsonb_build_object(
    'id', ${a('id')}, 'source', ${a('source')}, 'profile', ${a('profile')}, 'options', ${a('options')}, 'status', ${a('status')},
    'file', jsonb_build_object(
      'name', ${a('file_name')}, 'size', ${a('file_size')}, 'sha256', ${a('file_sha256')}, 'format', ${a('file_format')},
      'encoding', ${a('file_encoding')}, 'delimiter', ${a('file_delimiter')}, 'sheet', ${a('file_sheet')},
      'headers', to_jsonb(${a('file_headers')}), 'unknownColumns', to_jsonb(${a('unknown_columns')}),
      'mappingSource', ${a('mapping_source')}, 'purged', ${a('file_purged_at')} IS NOT NULL),
    'totals', jsonb_build_object(
      'rows', ${a('rows_total')}, 'created', ${a('created')}, 'updated', ${a('updated')}, 'unchanged', ${a('unchanged')},
      'skipped', ${a('skipped')}, 'failed', ${a('failed')}, 'warnings', ${a('warnings')}),
    'progress', jsonb_build_object(
      'processedRows', ${a('rows_total')}, 'percent', round(${a('progress_percent')}::numeric, 1),
      'rowsPerSecond', round(${a('rows_per_second')}::numeric), 'etaSeconds', ${a('eta_seconds')}),
    'attempts', ${a('attempts')},
    'error', CASE WHEN ${a('error_code')} <> '' THEN jsonb_build_object('code', ${a('error_code')}, 'message', COALESCE(${a('error_message')}, '')) END,
    'createdBy', ${a('created_by')},
    'createdAt', ${isoTime(a('created_at'))},
    'startedAt', ${isoTime(a('started_at'))},
    'finishedAt', ${isoTime(a('finished_at'))},
    'parentId', ${a('parent_id')},
    'resubmissions', (
      SELECT COALESCE(jsonb_agg(jsonb_build_object('id', r."id", 'status', r."status", 'fixed', r."rows_total" - r."failed",
        'stillFailing', r."failed") ORDER BY r."created_at", r."id"), '[]'::jsonb)
      FROM "imports" r WHERE r."parent_id" = ${a('id')}),
    'webhookUrl', ${a('webhook_url')},
    'revert', CASE WHEN ${a('revert_started_at')} IS NOT NULL THEN jsonb_build_object(
      'reverted', ${a('revert_reverted')}, 'kept', ${a('revert_kept')},
      'failed', ${a('revert_failed_referenced')} + ${a('revert_failed_missing')},
      'failures', jsonb_build_object('referenced', ${a('revert_failed_referenced')}, 'missing', ${a('revert_failed_missing')}),
      'rows', ${a('revert_rows')}, 'processedRows', ${a('revert_processed')}, 'requestedBy', ${a('revert_requested_by')},
      'startedAt', ${isoTime(a('revert_started_at'))}, 'finishedAt', ${isoTime(a('revert_finished_at'))}) END)`;
}

/**
 * The common table expressions, to follow `WITH <finished> AS (UPDATE "imports" … RETURNING *)`, that
 * record the deliveries of the imports the update finished: one per enabled endpoint subscribed to
 * `import.finished`, plus one to the import's own `webhook_url`; each a new message id (`msg_…`). Then
 * `notified` tells listening workers, at commit, which imports have deliveries.
 */
export function webhookOutbox(finished: string): string {
  return `webhook_outbox AS (
      INSERT INTO "webhook_deliveries" ("id", "message_id", "endpoint_id", "import_id", "url", "event_type", "payload", "next_attempt_at")
      SELECT gen_random_uuid(), 'msg_' || replace(gen_random_uuid()::text, '-', ''), target."endpoint_id", f."id", target."url",
        'import.finished',
        jsonb_build_object('type', 'import.finished', 'timestamp', ${isoTime('now()')}, 'data', ${importViewJson('f')}),
        now()
      FROM ${finished} f
      CROSS JOIN LATERAL (
        SELECT e."id" AS "endpoint_id", e."url" FROM "webhook_endpoints" e
        WHERE e."enabled" AND 'import.finished' = ANY (e."events")
        UNION ALL
        SELECT NULL, f."webhook_url" WHERE f."webhook_url" IS NOT NULL
      ) target
      RETURNING "import_id"
    ),
    webhook_notified AS (
      SELECT pg_notify('${WEBHOOK_DELIVERIES_CHANNEL}', "import_id"::text) FROM (SELECT DISTINCT "import_id" FROM webhook_outbox) o
    )`;
}

/**
 * The select that ends a finishing statement: one row per finished import. It reads `webhook_notified`, or
 * PostgreSQL would skip that (side-effect-free) expression; the insert runs anyway, being a data change.
 */
export const finishedWithOutbox = (finished: string) =>
  `SELECT f."id", (SELECT count(*) FROM webhook_notified)::int AS "notified" FROM ${finished} f`;
