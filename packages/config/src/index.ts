/**
 * The only reader of `process.env`. Each process parses its configuration once, at start-up, through one
 * zod schema; a bad value stops the process with a message naming the variable.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export { onShutdownSignal } from './shutdown';

/** The repository root (where `.env`, `.data/` and `storage/` live by default). */
const projectRoot = path.resolve(__dirname, '../../..');

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/importer';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** `WEBHOOK_RETRY_SCHEDULE_S`'s default: seconds before each retry of a webhook delivery (about three days in all). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_S: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

/**
 * A key prefix as a Redis Cluster hash tag: `{importer}` for `importer`. A prefix that holds a tag already
 * (`{…}` with something inside, as Redis reads it: the first `{` and the next `}`) is kept as it is.
 */
export function hashTagged(prefix: string): string {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix : `{${prefix}}`;
}

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Connections and limits every process shares. */
const baseSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** PostgreSQL connection string. */
  DATABASE_URL: z.string().url().default(DEFAULT_DATABASE_URL),
  /** Redis connection string (BullMQ), unless REDIS_CLUSTER_NODES is set. */
  REDIS_URL: z.string().url().default(DEFAULT_REDIS_URL),
  /** `host:port,host:port,…`: seed nodes of a Redis Cluster, used instead of REDIS_URL (the rest are discovered). */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return undefined;
      const nodes = text.split(',').map((part) => /^\s*([^\s:]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\s*$/.exec(part));
      if (nodes.some((node) => !node || Number(node[2]) < 1 || Number(node[2]) > 65_535)) {
        context.addIssue({ code: 'custom', message: 'expected host:port,host:port,…, e.g. 10.0.0.1:6379,10.0.0.2:6379' });
        return z.NEVER;
      }
      return nodes.map((node) => ({ host: (node?.[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port: Number(node?.[2]) }));
    }),
  /** ACL user of every Redis Cluster node (unset: the default user). */
  REDIS_CLUSTER_USERNAME: z.string().min(1).optional(),
  /** Password of every Redis Cluster node (`requirepass`, or the ACL user's). */
  REDIS_CLUSTER_PASSWORD: z.string().min(1).optional(),
  /** TLS to every Redis Cluster node, certificates checked against the system's authorities. */
  REDIS_CLUSTER_TLS: z.stringbool().default(false),
  /**
   * Prefix of every Redis key (queues, schedules, progress channel, rate limits), wrapped in a hash tag
   * (`importer` → `{importer}`) so that each queue's keys share one Redis Cluster slot; tests use a unique one each.
   */
  QUEUE_PREFIX: z.string().min(1).default('importer').transform(hashTagged),
  /** Where uploaded files are kept. */
  STORAGE_DIR: z.string().min(1).default(path.join(projectRoot, 'storage')),
  /** Where uploaded files are kept: `fs` (files under STORAGE_DIR) or `s3` (an S3-compatible bucket, S3_*). */
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  /** The bucket of uploaded files when STORAGE_DRIVER=s3 (required then). */
  S3_BUCKET: z.string().min(1).optional(),
  /** Folder of the bucket the files are kept in (e.g. `importer/uploads`); empty: the bucket's root. */
  S3_PREFIX: z.string().default(''),
  /** Endpoint of an S3-compatible service (MinIO, …), e.g. http://127.0.0.1:9000; unset: AWS S3 of S3_REGION. */
  S3_ENDPOINT: z.string().url().optional(),
  /** Region of the bucket. */
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most S3-compatible services need. */
  S3_FORCE_PATH_STYLE: z.stringbool().default(false),
  /** Credentials of the bucket; unset: the AWS SDK's default chain (shared config file, instance or task role). */
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  /** The secret of AWS_ACCESS_KEY_ID. */
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** A temporary credential's session token, with the two above. */
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  /** Largest accepted upload, in megabytes. */
  MAX_FILE_MB: z.coerce.number().positive().default(100),
  /** Most data rows one import may hold. */
  MAX_ROWS: int(1_000_000, 1),
  /** Most columns a file may have. */
  MAX_COLUMNS: int(200, 1),
  /** Largest cell, in kilobytes. */
  MAX_CELL_KB: z.coerce.number().positive().default(32),
  /** Row errors stored per import; beyond that they are only counted. */
  MAX_STORED_ERRORS: int(100_000),
  /** Inflated bytes, in megabytes, all the parts read from one XLSX may add up to (zip-bomb guard). */
  MAX_XLSX_INFLATED_MB: z.coerce.number().positive().default(1024),
  /** Most cells (all sheets together) a legacy XLS workbook may hold: it is read whole, ≈ 500 bytes of memory a cell. */
  MAX_XLS_CELLS: int(1_000_000, 1),
  /** Heap, in megabytes, of the thread that reads a legacy XLS (≈ 600 for MAX_XLS_CELLS' million cells). */
  XLS_MEMORY_MB: int(640, 16),
  /**
   * Rows per chunk (per database transaction), pinned: every chunk, and every revert chunk, holds this many.
   * Unset: adaptive, between CHUNK_SIZE_MIN and CHUNK_SIZE_MAX, aiming at CHUNK_TARGET_MS (`chunkSizing`).
   */
  CHUNK_SIZE: z.coerce.number().int().min(1).optional(),
  /** Fewest rows of an adaptive chunk; a retried attempt starts there. */
  CHUNK_SIZE_MIN: int(100, 1),
  /** Most rows of an adaptive chunk. */
  CHUNK_SIZE_MAX: int(20_000, 1),
  /** Milliseconds of database time an adaptive chunk aims at. */
  CHUNK_TARGET_MS: int(500, 1),
  /** Attempts an import gets (the first run and its retries). */
  IMPORT_ATTEMPTS: int(3, 1),
  /** Cron pattern of the nightly cleanup (docs/cleanup.md). */
  CLEANUP_CRON: z.string().min(1).default('0 3 * * *'),
  /** Time zone the cleanup's cron pattern is read in (an IANA name, e.g. Europe/Paris). */
  CLEANUP_TZ: z.string().min(1).default('UTC').refine(isTimeZone, 'not a time zone name, e.g. UTC or Europe/Paris'),
  /** Days an import record (and its row errors) is kept. */
  RETAIN_IMPORTS_DAYS: int(90, 1),
  /** Days an uploaded file is kept; the import then keeps a `purged` mark. */
  RETAIN_FILES_DAYS: int(30, 1),
  /** `whsec_…`: signs deliveries to an import's own `webhookUrl` (endpoints have their own secrets); unset: such uploads are refused. */
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'expected whsec_ followed by the base64 of at least 24 random bytes')
    .optional(),
  /** Seconds before each retry of a failed webhook delivery, comma-separated (one attempt, then one retry per delay). */
  WEBHOOK_RETRY_SCHEDULE_S: z
    .string()
    .default(DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.join(','))
    .transform((text, context) => {
      const delays = text.split(',').map((part) => Number(part.trim()));
      if (delays.some((delay) => !Number.isFinite(delay) || delay < 0)) {
        context.addIssue({ code: 'custom', message: 'expected comma-separated seconds, e.g. 5,300,1800' });
        return z.NEVER;
      }
      return delays;
    }),
  /** Days after its end an import can be reverted: its lineage (keys created, rows before it) is then removed by the cleanup. */
  RETAIN_LINEAGE_DAYS: int(30, 1),
});

/** Who may read `GET /metrics` (the API's, and each worker's). */
const metricsAccess = {
  /** When set, `GET /metrics` requires `Authorization: Bearer <it>`; unset, metrics are open (keep the port private). */
  METRICS_TOKEN: z.string().min(16).optional(),
};

const apiSchema = baseSchema
  .extend({
    /** HTTP port of the API and admin UI. */
    PORT: int(3000),
    /** When set, accepted as an admin API token. */
    IMPORTER_BOOTSTRAP_TOKEN: z.string().min(16).optional(),
    /** E-mail of the first admin of the admin UI, created at start when no user has it. */
    ADMIN_EMAIL: z.string().email().optional(),
    /** That admin's password (at least 8 characters); set both or neither. */
    ADMIN_PASSWORD: z.string().min(8).optional(),
    /** Signs session cookies (at least 32 characters); unset: a random one per start, so restarts log everyone out. */
    SESSION_SECRET: z.string().min(32).optional(),
    /**
     * Which proxies' `X-Forwarded-For`/`-Proto` the API believes (Express's `trust proxy`): addresses, subnets
     * (CIDR) and the names `loopback`, `linklocal`, `uniquelocal`, separated by commas, or a number of hops.
     * Who a client is (failed log-ins per address) and whether it came over TLS (`Secure` cookies) depend on it.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .min(1)
      .default('loopback')
      .transform((value) => (/^\d+$/.test(value) ? Number(value) : value.split(',').map((part) => part.trim()))),
    /** Hours an idle admin UI session lasts. */
    SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
    /** Uploads one user (or API token) may make per hour. */
    UPLOADS_PER_HOUR: int(10, 1),
    /** Failed log-ins one client address may make per 15 minutes, whatever e-mails it tries. */
    LOGIN_FAILURES_PER_ADDRESS: int(50, 1),
    /** Log-in password checks (scrypt, ~50 ms and 16 MB each) one API process runs at once. */
    LOGIN_HASH_CONCURRENCY: int(2, 1),
    /** Log-ins that may wait for a password check; past that they get 503 with Retry-After. */
    LOGIN_HASH_QUEUE: int(20),
    /** Progress streams (`GET /imports/:id/events`) one user or API token may hold open per API process. */
    PROGRESS_STREAMS_PER_USER: int(10, 1),
    /** Progress streams one API process holds open in all. */
    PROGRESS_STREAMS_MAX: int(500, 1),
    /** Minutes a progress stream lasts before the server closes it (the browser reconnects, authenticated anew). */
    PROGRESS_STREAM_MAX_MINUTES: z.coerce.number().positive().default(15),
    ...metricsAccess,
    /** Most rows one `POST /sync/:profile` request may carry (more: 413). */
    SYNC_MAX_ROWS: int(1_000, 1),
    /** Largest `POST /sync/:profile` body, in kilobytes (more: 413). */
    SYNC_MAX_BODY_KB: int(2_048, 1),
    /** `POST /sync/:profile` requests one API token or user may make per minute (more: 429 with Retry-After). */
    SYNC_REQUESTS_PER_MINUTE: int(120, 1),
  })
  .refine((config) => !config.ADMIN_EMAIL === !config.ADMIN_PASSWORD, {
    message: 'set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither',
    path: ['ADMIN_PASSWORD'],
  });

const workerSchema = baseSchema.extend({
  /** Imports one worker process runs at once. */
  WORKER_CONCURRENCY: int(2, 1),
  /**
   * Imports of one user (their `created_by`) running at once across all workers; unset: half this worker's
   * slots, at least 1 (`importsPerUser`). Set it to the same value on every worker.
   */
  IMPORTS_PER_USER: z.coerce.number().int().min(1).optional(),
  /** Milliseconds an import over `IMPORTS_PER_USER` first waits before it is looked at again (doubling each time, up to 8 times it). */
  IMPORTS_PER_USER_WAIT_MS: int(5_000, 50),
  /** Minutes an import may run before it fails with `timeout`. */
  IMPORT_TIMEOUT_MIN: z.coerce.number().positive().default(30),
  /** Imports started per minute across all workers. */
  IMPORTS_PER_MINUTE: int(10, 1),
  /** Milliseconds a worker's lock on a job lasts unless renewed; a killed worker's job is taken over after it. */
  WORKER_LOCK_DURATION_MS: int(30_000, 1_000),
  /** Milliseconds between checks for jobs whose worker died (stalled jobs). */
  WORKER_STALLED_INTERVAL_MS: int(30_000, 500),
  /** Times a job may stall (its worker dying) before it fails as `worker_crashed`. */
  WORKER_MAX_STALLED: int(5, 0),
  /** Seconds a worker gives its chunks in flight at SIGTERM/SIGINT before it exits anyway. */
  SHUTDOWN_TIMEOUT_S: z.coerce.number().positive().max(30).default(25),
  /** Milliseconds between reconciler passes (imports PostgreSQL has but Redis lost). */
  RECONCILE_INTERVAL_MS: int(60_000, 100),
  /** Milliseconds a webhook receiver has to answer (connection, headers and body) before the attempt fails. */
  WEBHOOK_TIMEOUT_MS: int(10_000, 1),
  /** Whether webhooks may go to loopback, private, link-local, CGNAT or multicast addresses: true for local testing only. */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  /** Webhook deliveries one worker process sends at once. */
  WEBHOOK_CONCURRENCY: int(10, 1),
  /** When set, this worker serves its own `GET /metrics` on that port; 0 picks a free port and logs it. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  ...metricsAccess,
});

export type BaseConfig = z.infer<typeof baseSchema>;
export type ApiConfig = z.infer<typeof apiSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;

class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Reads `.env` at the project root into `process.env` once, without overriding what is already set. */
function loadDotEnv(): void {
  const file = path.join(projectRoot, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

function parse<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  // Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

function environment(env?: Env): Env {
  if (env) return env;
  loadDotEnv();
  return process.env;
}

export const loadBaseConfig = (env?: Env): BaseConfig => parse(baseSchema, environment(env));
export const loadApiConfig = (env?: Env): ApiConfig => parse(apiSchema, environment(env));
export const loadWorkerConfig = (env?: Env): WorkerConfig => parse(workerSchema, environment(env));

/**
 * The per-user cap (`IMPORTS_PER_USER`): as set, else half the slots, at least 1. A worker does not know
 * the total slots of every worker, so "half the slots" is half its own `WORKER_CONCURRENCY`.
 */
export function importsPerUser(config: Pick<WorkerConfig, 'IMPORTS_PER_USER' | 'WORKER_CONCURRENCY'>): number {
  return config.IMPORTS_PER_USER ?? Math.max(1, Math.floor(config.WORKER_CONCURRENCY / 2));
}

/** Byte and count limits derived from the configuration (docs/api.md, "Limits"). */
export interface ImportLimits {
  maxFileBytes: number;
  maxRows: number;
  maxColumns: number;
  maxCellChars: number;
  maxStoredErrors: number;
  /** Inflated bytes one XLSX may expand to (declared and actual sizes are both checked). */
  maxInflatedBytes: number;
  /** Cells one legacy XLS workbook may hold (counted in its records before it is read). */
  maxXlsCells: number;
  /** Heap of the thread that reads a legacy XLS, in megabytes. */
  xlsMemoryMb: number;
}

export function importLimits(config: BaseConfig): ImportLimits {
  return {
    maxFileBytes: Math.floor(config.MAX_FILE_MB * 1024 * 1024),
    maxRows: config.MAX_ROWS,
    maxColumns: config.MAX_COLUMNS,
    maxCellChars: Math.floor(config.MAX_CELL_KB * 1024),
    maxStoredErrors: config.MAX_STORED_ERRORS,
    maxInflatedBytes: Math.floor(config.MAX_XLSX_INFLATED_MB * 1024 * 1024),
    maxXlsCells: config.MAX_XLS_CELLS,
    xlsMemoryMb: config.XLS_MEMORY_MB,
  };
}

/**
 * How many rows each chunk holds (docs/write-semantics.md, "Chunks"): between `min` and `max`, starting at
 * `initial`, sized after the chunks before it to take about `targetMs` of database time. `min = max` pins it.
 */
export interface ChunkSizing {
  /** Rows of an attempt's first chunk (a retried attempt starts at `min`). */
  initial: number;
  min: number;
  max: number;
  targetMs: number;
}

/** The first chunk of an import's first attempt, before any has been timed. */
const INITIAL_CHUNK_ROWS = 1_000;

/** The chunk sizing: pinned by CHUNK_SIZE, else adaptive; CHUNK_SIZE_MIN over CHUNK_SIZE_MAX stops the process. */
export function chunkSizing(config: BaseConfig): ChunkSizing {
  const pinned = config.CHUNK_SIZE;
  if (pinned !== undefined) return { initial: pinned, min: pinned, max: pinned, targetMs: config.CHUNK_TARGET_MS };
  const { CHUNK_SIZE_MIN: min, CHUNK_SIZE_MAX: max } = config;
  if (min > max) throw new ConfigError(`Invalid configuration:\n  CHUNK_SIZE_MIN: ${min} is over CHUNK_SIZE_MAX (${max})`);
  return { initial: Math.min(max, Math.max(min, INITIAL_CHUNK_ROWS)), min, max, targetMs: config.CHUNK_TARGET_MS };
}

/** Where uploaded files are kept (STORAGE_DRIVER and its variables; docs/deploy.md). */
export type StorageSettings =
  | { driver: 'fs'; dir: string }
  | {
      driver: 's3';
      bucket: string;
      /** The bucket's folder of uploaded files (S3_PREFIX); empty: its root. */
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      /** Unset: the AWS SDK's default credential chain. */
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    };

/** The file store's settings; STORAGE_DRIVER=s3 without S3_BUCKET stops the process with a message naming it. */
export function storageSettings(config: BaseConfig): StorageSettings {
  if (config.STORAGE_DRIVER === 'fs') return { driver: 'fs', dir: config.STORAGE_DIR };
  if (!config.S3_BUCKET) throw new ConfigError('Invalid configuration:\n  S3_BUCKET: required when STORAGE_DRIVER=s3');
  if (!config.AWS_ACCESS_KEY_ID !== !config.AWS_SECRET_ACCESS_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  AWS_SECRET_ACCESS_KEY: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
    );
  }
  return {
    driver: 's3',
    bucket: config.S3_BUCKET,
    prefix: config.S3_PREFIX,
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials:
      config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY, sessionToken: config.AWS_SESSION_TOKEN }
        : undefined,
  };
}

/** Where Redis is (REDIS_URL, or REDIS_CLUSTER_NODES and its credentials; docs/deploy.md, "Redis Cluster"). */
export type RedisSettings =
  | { mode: 'single'; url: string }
  | {
      mode: 'cluster';
      /** Seed nodes; the cluster's other nodes and its slots are discovered from them. */
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
    };

/** The Redis settings: a Redis Cluster when REDIS_CLUSTER_NODES is set (REDIS_URL is then ignored), else REDIS_URL. */
export function redisSettings(config: BaseConfig): RedisSettings {
  if (!config.REDIS_CLUSTER_NODES) return { mode: 'single', url: config.REDIS_URL };
  return {
    mode: 'cluster',
    nodes: config.REDIS_CLUSTER_NODES,
    username: config.REDIS_CLUSTER_USERNAME,
    password: config.REDIS_CLUSTER_PASSWORD,
    tls: config.REDIS_CLUSTER_TLS,
  };
}
