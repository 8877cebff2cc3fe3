/**
 * The enumerations of the contract, free of zod: the admin UI imports values from here and from
 * `import-status.ts` only, so that its bundle carries no schema (a value from a schema module pulls zod in).
 */

/** The roles: `viewer` reads, `operator` also uploads, retries and cancels, `admin` also manages tokens. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** How a row whose key already exists is treated (docs/write-semantics.md, "Modes"). */
export const WRITE_MODES = ['upsert', 'overwrite', 'insert_only'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** The formats of what an import read: an upload's, decided by content (`csv`, `xlsx`, `xls`), or a sync batch's `json`. */
export const FILE_FORMATS = ['csv', 'xlsx', 'xls', 'json'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Where an import came from: `file`, an upload read by a worker; `sync`, a batch of JSON rows (`POST /sync/:profile`). */
export const IMPORT_SOURCES = ['file', 'sync'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/** A row error's level: `error` (the row failed) or `warning` (it did not). The table's CHECK lists the same. */
export const ROW_ERROR_LEVELS = ['error', 'warning'] as const;

export const CLEANUP_TRIGGERS = ['schedule', 'manual'] as const;
export type CleanupTrigger = (typeof CLEANUP_TRIGGERS)[number];
/** `skipped`: another run held the lock. */
export const CLEANUP_RUN_STATUSES = ['running', 'completed', 'failed', 'skipped'] as const;
export type CleanupRunStatus = (typeof CLEANUP_RUN_STATUSES)[number];

/**
 * How an import's file headers were matched to the profile's columns: by names and aliases alone, with the
 * upload's `mapping`, or with the mapping remembered for the file's header set (docs/profiles.md).
 */
export const MAPPING_SOURCES = ['aliases', 'request', 'saved'] as const;
export type MappingSource = (typeof MAPPING_SOURCES)[number];

/** Where the inspection's suggested column for a header comes from: an alias, the saved mapping, or the closest name. */
export const SUGGESTION_SOURCES = ['alias', 'saved', 'closest'] as const;
export type SuggestionSource = (typeof SUGGESTION_SOURCES)[number];
/** The events a webhook endpoint may subscribe to (docs/api.md, "Webhooks"). */
export const WEBHOOK_EVENTS = ['import.finished'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A webhook delivery's state: `pending` until a 2xx (`succeeded`), or its last attempt, a 410 or a refusal (`failed`). */
export const WEBHOOK_DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];
