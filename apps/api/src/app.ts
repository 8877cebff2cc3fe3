import path from 'node:path';
import type { Queue } from 'bullmq';
import cookieParser from 'cookie-parser';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_S, importLimits, loadBaseConfig, type ImportLimits } from '@importer/config';
import {
  createColumnMappingsRepository,
  createSessionsRepository,
  createUsersRepository,
  createWebhooksRepository,
  type ApiTokensRepository,
  type ImportsRepository,
  type Pool,
  type SessionsRepository,
  type UsersRepository,
  type WebhooksRepository,
} from '@importer/db';
import { createMetrics, type Metrics } from '@importer/metrics';
import {
  createCleanupQueue,
  createRevertsQueue,
  createWebhooksQueue,
  publishTokenRevoked,
  type ImportsQueue,
  type ProgressSubscriber,
  type RedisConnection,
  type RevertsQueue,
  type TokenRevocations,
  type WebhooksQueue,
} from '@importer/queue';
import { createFsFileStore, type FileStore } from '@importer/storage';
import { authenticate } from './middleware/auth';
import { compressAnswers } from './middleware/compress-answers';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { answeredRequests } from './middleware/metrics';
import { loginRateLimits, syncRateLimit, uploadRateLimit } from './middleware/rate-limit';
import { createProgressStreams } from './progress-streams';
import { adminRouter } from './routes/admin';
import { importEventsRouter } from './routes/events';
import { cleanupRunsRouter } from './routes/cleanup-runs';
import { healthRouter } from './routes/health';
import { importActionsRouter } from './routes/import-actions';
import { importFixesRouter } from './routes/import-fixes';
import { importsRouter } from './routes/imports';
import { inspectRouter } from './routes/inspect';
import { mappingsRouter } from './routes/mappings';
import { apiDocsRouter, openApiRouter } from './routes/openapi';
import { metricsRouter } from './routes/metrics';
import { profilesRouter } from './routes/profiles';
import { revertsRouter } from './routes/reverts';
import { logInRoute, sessionRouter } from './routes/session';
import { statsRouter } from './routes/stats';
import { syncRouter } from './routes/sync';
import { tokensRouter } from './routes/tokens';
import { importDeliveriesRouter, webhookDeliveriesRouter, webhooksRouter } from './routes/webhooks';
import { createSemaphore } from './semaphore';
import { createSessionLayer, randomSecret } from './sessions';
import { createTokenCache } from './token-cache';

/**
 * Where `npm run build -w @importer/admin` puts the UI, relative to this file: `apps/api/src` and the compiled
 * `apps/api/dist` are at the same depth, so the path holds in both.
 */
const ADMIN_UI_DIR = path.resolve(__dirname, '../../admin/dist');

export interface AppDeps {
  pool: Pool;
  redis: RedisConnection;
  imports: ImportsRepository;
  tokens: ApiTokensRepository;
  queue: ImportsQueue;
  logger: Logger;
  storageDir: string;
  /** Where uploads are stored (STORAGE_DRIVER); default: the `fs` driver on `storageDir`. */
  fileStore?: FileStore;
  maxFileBytes: number;
  importAttempts: number;
  bootstrapToken?: string;
  /** Accounts of the admin UI; default: built on `pool`. */
  users?: UsersRepository;
  /** Sessions of the admin UI; default: built on `pool`. */
  sessions?: SessionsRepository;
  /** `SESSION_SECRET`: signs session cookies and CSRF tokens; default: random per process. */
  sessionSecret?: string;
  /** `TRUST_PROXY`: the proxies whose forwarded headers are believed (Express's `trust proxy`); default loopback. */
  trustProxy?: string[] | number;
  /** Idle lifetime of an admin UI session, in ms; default 12 hours. */
  sessionTtlMs?: number;
  /** `UPLOADS_PER_HOUR`: uploads per user or token per hour; unset: unlimited. */
  uploadsPerHour?: number;
  /** Wakes progress streams (SSE) when a worker commits a chunk; without it they poll PostgreSQL. */
  progress?: ProgressSubscriber;
  /**
   * Revocations of API tokens by any API process or the CLI (on the progress subscriber's connection); without
   * it, a revocation empties only this process's token cache.
   */
  tokenRevocations?: TokenRevocations;
  /** How long a verified API token is remembered, in ms (default 30 s; 0: looked up on every request). */
  tokenCacheMs?: number;
  /** Re-read interval of progress streams, in ms (default 2 s). */
  progressPollMs?: number;
  /** `PROGRESS_STREAMS_PER_USER`: progress streams one user or token holds open (default 10). */
  progressStreamsPerUser?: number;
  /** `PROGRESS_STREAMS_MAX`: progress streams this process holds open in all (default 500). */
  progressStreamsMax?: number;
  /** `PROGRESS_STREAM_MAX_MINUTES`, in ms: a progress stream's longest life (default 15 minutes). */
  progressStreamMaxMs?: number;
  /** `LOGIN_FAILURES_PER_ADDRESS`: failed log-ins per client address per 15 minutes (default 50). */
  loginFailuresPerAddress?: number;
  /** `LOGIN_HASH_CONCURRENCY`: password checks run at once (default 2). */
  loginHashConcurrency?: number;
  /** `LOGIN_HASH_QUEUE`: log-ins waiting for a password check before 503 (default 20). */
  loginHashQueue?: number;
  /** The cleanup queue, shown in Bull Board; default: a handle on `redis` with the imports queue's prefix. */
  cleanupQueue?: Queue;
  /** Folder of the built admin UI; default apps/admin/dist. */
  adminDir?: string;
  /** The reverts queue; default: a handle on `redis` with the imports queue's prefix. */
  revertsQueue?: RevertsQueue;
  /** `RETAIN_LINEAGE_DAYS`: how long after its end an import can be reverted (default 30). */
  retainLineageDays?: number;
  /** How long `GET /stats` answers from its cache, in ms (default 5 s). */
  statsCacheMs?: number;
  /** The import limits `POST /imports/inspect` reads a file with; default: the configuration's defaults, with `maxFileBytes`. */
  limits?: ImportLimits;
  /** `WEBHOOK_SECRET`: signs deliveries to an import's own `webhookUrl`; unset: uploads with one are refused. */
  webhookSecret?: string;
  /** `WEBHOOK_RETRY_SCHEDULE_S`, in seconds: the retries of a replayed delivery (default the documented one). */
  webhookRetrySchedule?: readonly number[];
  /** Webhook endpoints and deliveries; default: built on `pool`. */
  webhooks?: WebhooksRepository;
  /** The webhooks queue (replays); default: a handle on `redis` with the imports queue's prefix. */
  webhooksQueue?: WebhooksQueue;
  /** This process's metrics (`GET /metrics`); default: a registry of the app's own. */
  metrics?: Metrics;
  /** `METRICS_TOKEN`: when set, `GET /metrics` requires `Authorization: Bearer <it>`. */
  metricsToken?: string;
  /** How long the queue gauges' snapshot answers scrapes, in ms (default 1.5 s). */
  queueMetricsCacheMs?: number;
  /** `POST /sync/:profile`'s limits; each defaults to the configuration's default (no rate limit unless given). */
  sync?: Partial<SyncSettings>;
}

export interface SyncSettings {
  /** `SYNC_MAX_ROWS`. */
  maxRows: number;
  /** `SYNC_MAX_BODY_KB`, in bytes. */
  maxBodyBytes: number;
  /** `SYNC_REQUESTS_PER_MINUTE`, per token or user. */
  requestsPerMinute?: number;
  /** `MAX_CELL_KB` in characters, and `MAX_STORED_ERRORS`: the limits a file's rows have too. */
  maxCellChars: number;
  maxStoredErrors: number;
}

/** The HTTP application, with every dependency passed in: no side effects until someone listens. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? 'loopback');
  const metrics = deps.metrics ?? createMetrics();
  app.use(answeredRequests(app, metrics, deps.logger));
  app.use(compressAnswers());
  // Every answer is what its Content-Type says: a browser must not guess another type from the content.
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  const fileStore = deps.fileStore ?? createFsFileStore(deps.storageDir);
  app.use(healthRouter({ ...deps, fileStore }));
  app.use(metricsRouter({ metrics, token: deps.metricsToken }));
  // The API's description, public (it describes the API, not its data): before sessions and authentication.
  app.use('/api/v1', openApiRouter());
  app.use('/api/docs', apiDocsRouter());

  // Admin UI sessions: only for requests without an Authorization header (tokens need no cookie).
  const prefix = deps.queue.opts.prefix ?? 'bull';
  const users = deps.users ?? createUsersRepository(deps.pool);
  const sessionsRepository = deps.sessions ?? createSessionsRepository(deps.pool);
  const sessions = createSessionLayer({
    sessions: sessionsRepository,
    users,
    secret: deps.sessionSecret ?? randomSecret(),
    ttlMs: deps.sessionTtlMs ?? 12 * 3_600_000,
  });
  // A bearer request skips the cookies too: nothing it is judged by reads them (the CSRF check judges sessions only).
  const cookies = cookieParser();
  const withSession: RequestHandler = (req, res, next) => {
    if (req.get('authorization')) return next();
    cookies(req, res, (error?: unknown) => (error ? next(error) : sessions.middleware(req, res, next)));
  };
  app.use(['/api', '/admin'], withSession);

  const streams = createProgressStreams({
    imports: deps.imports,
    tokens: deps.tokens,
    sessions: sessionsRepository,
    logger: deps.logger,
    progress: deps.progress,
    pollMs: deps.progressPollMs ?? 2_000,
    heartbeatMs: 15_000,
    perUser: deps.progressStreamsPerUser ?? 10,
    total: deps.progressStreamsMax ?? 500,
    maxLifetimeMs: deps.progressStreamMaxMs ?? 15 * 60_000,
  });

  const api = express.Router();
  // `POST /sync/:profile` reads its body itself, after its role and rate checks, with its own size limit.
  const json = express.json({ limit: '2mb' });
  api.use((req, res, next) => (req.path.startsWith('/sync/') ? next() : json(req, res, next)));
  api.use(
    logInRoute({
      users,
      sessions,
      limits: loginRateLimits({
        redis: deps.redis,
        logger: deps.logger,
        queuePrefix: prefix,
        failuresPerAddress: deps.loginFailuresPerAddress ?? 50,
      }),
      hashing: createSemaphore(deps.loginHashConcurrency ?? 2, deps.loginHashQueue ?? 20),
    }),
  );
  const tokenCache = createTokenCache({ ttlMs: deps.tokenCacheMs ?? 30_000 });
  deps.tokenRevocations?.onRevoked((tokenId) => {
    tokenCache.drop(tokenId);
    deps.logger.info({ tokenId }, 'API token revoked: dropped from the token cache');
  });
  const revoked = async (tokenId: string) => {
    tokenCache.drop(tokenId);
    if (!(await publishTokenRevoked(deps.redis, prefix, tokenId))) {
      deps.logger.warn(
        { tokenId },
        'token revocation not published (Redis): other API processes accept the token until their cache expires',
      );
    }
  };
  api.use(authenticate({ tokens: deps.tokens, bootstrapToken: deps.bootstrapToken, users, cache: tokenCache }));
  api.use(sessions.requireCsrfToken);
  api.use('/session', sessionRouter({ sessions, streams }));
  api.use('/imports', importEventsRouter({ imports: deps.imports, streams }));
  const uploadLimit = deps.uploadsPerHour
    ? uploadRateLimit({ redis: deps.redis, logger: deps.logger, queuePrefix: prefix, uploadsPerHour: deps.uploadsPerHour })
    : undefined;
  const limits = deps.limits ?? { ...importLimits(loadBaseConfig({})), maxFileBytes: deps.maxFileBytes };
  api.use('/imports/inspect', inspectRouter({ ...deps, fileStore, limits }));
  api.use('/imports', importsRouter({ ...deps, fileStore, uploadLimit }));
  api.use('/imports', importActionsRouter({ ...deps, metrics }));
  api.use('/imports', importFixesRouter({ ...deps, fileStore, uploadLimit }));
  const sync = { maxRows: 1_000, maxBodyBytes: 2_048 * 1024, maxCellChars: 32 * 1024, maxStoredErrors: 100_000, ...deps.sync };
  api.use(
    '/sync',
    syncRouter({
      pool: deps.pool,
      logger: deps.logger,
      limits: sync,
      maxRows: sync.maxRows,
      maxBodyBytes: sync.maxBodyBytes,
      rateLimit: sync.requestsPerMinute
        ? syncRateLimit({ redis: deps.redis, logger: deps.logger, queuePrefix: prefix, requestsPerMinute: sync.requestsPerMinute })
        : undefined,
      metrics,
    }),
  );
  const revertsQueue = deps.revertsQueue ?? createRevertsQueue({ connection: deps.redis, prefix });
  api.use('/imports', revertsRouter({ ...deps, revertsQueue, retainLineageDays: deps.retainLineageDays ?? 30 }));
  api.use('/cleanup-runs', cleanupRunsRouter(deps));
  api.use('/tokens', tokensRouter({ tokens: deps.tokens, streams, revoked }));
  api.use('/stats', statsRouter({ pool: deps.pool, cacheMs: deps.statsCacheMs }));
  api.use('/profiles', profilesRouter());
  api.use('/mappings', mappingsRouter({ mappings: createColumnMappingsRepository(deps.pool) }));
  const webhookDeps = {
    webhooks: deps.webhooks ?? createWebhooksRepository(deps.pool),
    webhooksQueue: deps.webhooksQueue ?? createWebhooksQueue({ connection: deps.redis, prefix }),
    webhookRetrySchedule: deps.webhookRetrySchedule ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_S,
    logger: deps.logger,
  };
  api.use('/webhooks', webhooksRouter(webhookDeps));
  api.use('/webhook-deliveries', webhookDeliveriesRouter(webhookDeps));
  api.use('/imports', importDeliveriesRouter({ webhooks: webhookDeps.webhooks, imports: deps.imports }));
  app.use('/api/v1', api);

  const cleanupQueue = deps.cleanupQueue ?? createCleanupQueue({ connection: deps.redis, prefix });
  metrics.watchQueues([deps.queue, revertsQueue, cleanupQueue, webhookDeps.webhooksQueue], {
    cacheMs: deps.queueMetricsCacheMs,
    onError: (queue, error) => deps.logger.warn({ err: error, queue }, 'queue metrics left out of a scrape'),
  });
  app.use(
    '/admin',
    adminRouter({
      users,
      sessions,
      queues: [deps.queue, revertsQueue, cleanupQueue, webhookDeps.webhooksQueue],
      dir: deps.adminDir ?? ADMIN_UI_DIR,
    }),
  );

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, { maxFileBytes: deps.maxFileBytes }));
  return app;
}
