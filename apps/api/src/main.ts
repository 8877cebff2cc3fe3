/** API process: parse configuration, connect, listen, and shut down cleanly on SIGTERM/SIGINT. */
import { once } from 'node:events';
import pino from 'pino';
import { importLimits, loadApiConfig, onShutdownSignal, redisSettings, storageSettings } from '@importer/config';
import { createApiTokensRepository, createImportsRepository, createPool, createPrisma, createUsersRepository } from '@importer/db';
import { createCleanupQueue, createImportsQueue, createProgressSubscriber, createRedis, subscribeTokenRevocations } from '@importer/queue';
import { createFileStore } from '@importer/storage';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadApiConfig();
  // Log lines leave in batches of up to 4 KB (or every 100 ms), not one write per line: the access log's line
  // per request was a system call per request. They are written out at exit, a crash's included.
  const logger = pino(
    { name: 'api', level: config.LOG_LEVEL },
    pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }),
  );
  const pool = createPool(config.DATABASE_URL, { applicationName: 'importer-api' });
  const prisma = createPrisma(pool);
  const redis = createRedis(redisSettings(config), { failFast: true });
  const queue = createImportsQueue({ connection: redis, prefix: config.QUEUE_PREFIX });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const cleanupQueue = createCleanupQueue({ connection: redis, prefix: config.QUEUE_PREFIX });
  cleanupQueue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  // A subscribed connection can run nothing else: progress messages and token revocations get one of their own,
  // which the progress subscriber closes.
  const subscriber = createRedis(redisSettings(config));
  const progress = createProgressSubscriber(subscriber, config.QUEUE_PREFIX);
  const tokenRevocations = subscribeTokenRevocations(subscriber, config.QUEUE_PREFIX);
  const users = createUsersRepository(pool);
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const { created } = await users.ensure({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD, role: 'admin' });
    if (created) logger.info({ email: config.ADMIN_EMAIL }, 'created the first admin from ADMIN_EMAIL');
  }
  if ((await users.list()).length === 0) {
    logger.warn('no admin UI account yet: set ADMIN_EMAIL and ADMIN_PASSWORD, or run `npm run cli -- user create --email you@example.com`');
  }
  if (!config.SESSION_SECRET) logger.warn('SESSION_SECRET is not set: admin UI sessions end when this process stops');

  const app = createApp({
    pool,
    redis,
    imports: createImportsRepository(prisma, pool),
    tokens: createApiTokensRepository(prisma),
    queue,
    logger,
    storageDir: config.STORAGE_DIR,
    fileStore: createFileStore(storageSettings(config)),
    maxFileBytes: importLimits(config).maxFileBytes,
    limits: importLimits(config),
    importAttempts: config.IMPORT_ATTEMPTS,
    retainLineageDays: config.RETAIN_LINEAGE_DAYS,
    bootstrapToken: config.IMPORTER_BOOTSTRAP_TOKEN,
    webhookSecret: config.WEBHOOK_SECRET,
    webhookRetrySchedule: config.WEBHOOK_RETRY_SCHEDULE_S,
    users,
    sessionSecret: config.SESSION_SECRET,
    trustProxy: config.TRUST_PROXY,
    sessionTtlMs: config.SESSION_TTL_HOURS * 3_600_000,
    uploadsPerHour: config.UPLOADS_PER_HOUR,
    loginFailuresPerAddress: config.LOGIN_FAILURES_PER_ADDRESS,
    loginHashConcurrency: config.LOGIN_HASH_CONCURRENCY,
    loginHashQueue: config.LOGIN_HASH_QUEUE,
    progressStreamsPerUser: config.PROGRESS_STREAMS_PER_USER,
    progressStreamsMax: config.PROGRESS_STREAMS_MAX,
    progressStreamMaxMs: config.PROGRESS_STREAM_MAX_MINUTES * 60_000,
    progress,
    tokenRevocations,
    cleanupQueue,
    metricsToken: config.METRICS_TOKEN,
    sync: {
      maxRows: config.SYNC_MAX_ROWS,
      maxBodyBytes: config.SYNC_MAX_BODY_KB * 1024,
      requestsPerMinute: config.SYNC_REQUESTS_PER_MINUTE,
      maxCellChars: importLimits(config).maxCellChars,
      maxStoredErrors: config.MAX_STORED_ERRORS,
    },
  });
  // Prisma loads and compiles its query compiler (WebAssembly) at its first query: done here, it does not hold
  // up the first request's token check (and an upload's first bytes) by a few hundred milliseconds.
  await prisma.apiToken.findFirst({ select: { id: true } });
  const server = app.listen(config.PORT);
  await once(server, 'listening');
  logger.info({ port: config.PORT }, `API listening on http://localhost:${config.PORT} (admin UI: /admin)`);
  logger.flush();

  onShutdownSignal(
    async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      await progress.close(); // ends the progress streams, which would otherwise hold the server open
      server.closeIdleConnections();
      await closed;
      await cleanupQueue.close();
      await queue.close();
      redis.disconnect();
      await prisma.$disconnect();
      await pool.end();
    },
    { logger, message: 'shutting down' },
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
