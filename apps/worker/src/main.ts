/**
 * Worker process: parse configuration, connect, run the imports worker, the cleanup worker and its
 * schedule, and the reconciler; on SIGTERM/SIGINT stop taking jobs, let each running import commit (or
 * roll back) its current chunk, hand its job back to the queue, and close connections in order.
 */
import pino from 'pino';
import {
  chunkSizing,
  importLimits,
  importsPerUser,
  loadWorkerConfig,
  onShutdownSignal,
  redisSettings,
  storageSettings,
} from '@importer/config';
import { createImportsRepository, createPool, createPrisma } from '@importer/db';
import { createMetrics, createMetricsServer } from '@importer/metrics';
import {
  createCleanupQueue,
  createImportsQueue,
  createProgressPublisher,
  createRedis,
  createRevertsQueue,
  createWebhooksQueue,
  sweepFinishedJobs,
} from '@importer/queue';
import { createFileStore } from '@importer/storage';
import { watchEventLoop } from './event-loop';
import { WorkerShutdownError } from './interruptions';
import { createReconciler } from './reconciler';
import { createRevertWorker } from './processors/revert-import';
import { createCleanupWorker, registerSchedules } from './schedules';
import { createWebhookWorker, dispatchFinishedImports } from './webhooks/worker';
import { createImportWorker } from './worker';

/** An import id no import has: the warm-up query's. */
const NO_IMPORT = '00000000-0000-0000-0000-000000000000';

function main(): void {
  const config = loadWorkerConfig();
  const logger = pino({ name: 'worker', level: config.LOG_LEVEL });
  // Each running import holds one connection for its chunk transaction and one for look-ups ahead of it;
  // the cleanup holds one for its lock and one for its statements.
  // … plus one connection listening for finished imports' webhook deliveries, and the webhook attempts' records.
  const pool = createPool(config.DATABASE_URL, { max: config.WORKER_CONCURRENCY * 2 + 6, applicationName: 'importer-worker' });
  // A connection PostgreSQL drops while a transaction holds it (restart, pg_terminate_backend) must fail
  // that transaction, which is retried, not crash the process.
  pool.on('connect', (client) => client.on('error', (error) => logger.warn({ err: error }, 'database connection lost')));
  const prisma = createPrisma(pool);
  const imports = createImportsRepository(prisma, pool);
  const connection = createRedis(redisSettings(config));
  const queue = createImportsQueue({ connection, prefix: config.QUEUE_PREFIX });
  const cleanupQueue = createCleanupQueue({ connection, prefix: config.QUEUE_PREFIX });
  const webhooksQueue = createWebhooksQueue({ connection, prefix: config.QUEUE_PREFIX });
  const retrySchedule = config.WEBHOOK_RETRY_SCHEDULE_S;
  const revertsQueue = createRevertsQueue({ connection, prefix: config.QUEUE_PREFIX });
  const progress = createProgressPublisher(connection, config.QUEUE_PREFIX);
  const shutdown = new AbortController();
  const files = createFileStore(storageSettings(config));
  const metrics = createMetrics();
  const sizing = chunkSizing(config);
  metrics.watchQueues([queue, revertsQueue, cleanupQueue, webhooksQueue], {
    onError: (name, error) => logger.warn({ err: error, queue: name }, 'queue metrics left out of a scrape'),
  });
  const metricsServer =
    config.WORKER_METRICS_PORT === undefined
      ? null
      : createMetricsServer(metrics, {
          port: config.WORKER_METRICS_PORT,
          token: config.METRICS_TOKEN,
          onError: (error) => logger.error({ err: error }, 'could not render the metrics'),
        });

  const worker = createImportWorker(
    {
      logger,
      timeoutMs: config.IMPORT_TIMEOUT_MIN * 60_000,
      userCapWaitMs: config.IMPORTS_PER_USER_WAIT_MS,
      shutdown: shutdown.signal,
      metrics,
      engine: {
        pool,
        imports,
        storageDir: config.STORAGE_DIR,
        fileStore: files,
        limits: importLimits(config),
        chunkSize: sizing,
        importsPerUser: importsPerUser(config),
        onProgress: (importId) => {
          logger.debug({ importId }, 'chunk committed');
          progress.publish(importId); // wakes the admin UI's live progress (SSE)
        },
        onChunkCommitted: (chunk) => metrics.chunkCommitted(chunk),
      },
    },
    {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      importsPerMinute: config.IMPORTS_PER_MINUTE,
      lockDuration: config.WORKER_LOCK_DURATION_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: config.WORKER_MAX_STALLED,
    },
  );
  const revertWorker = createRevertWorker(
    {
      logger,
      shutdown: shutdown.signal,
      engine: {
        pool,
        imports,
        chunkSize: sizing,
        onProgress: (importId) => {
          logger.debug({ importId }, 'revert chunk committed');
          progress.publish(importId);
        },
      },
    },
    {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_DURATION_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: config.WORKER_MAX_STALLED,
    },
  );
  const cleanupWorker = createCleanupWorker(
    {
      logger,
      cleanup: {
        pool,
        storageDir: config.STORAGE_DIR,
        fileStore: files,
        retention: {
          importsDays: config.RETAIN_IMPORTS_DAYS,
          filesDays: config.RETAIN_FILES_DAYS,
          lineageDays: config.RETAIN_LINEAGE_DAYS,
        },
        sweepJobs: (now) => sweepFinishedJobs([queue, cleanupQueue, webhooksQueue, revertsQueue], now),
        signal: shutdown.signal,
      },
    },
    { connection, prefix: config.QUEUE_PREFIX },
  );
  // Outgoing webhooks (docs/api.md, "Webhooks"): sent by their own worker, enqueued when an import finishes.
  const webhookWorker = createWebhookWorker(
    {
      pool,
      logger,
      secret: config.WEBHOOK_SECRET,
      retrySchedule,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
      metrics,
    },
    { connection, prefix: config.QUEUE_PREFIX, concurrency: config.WEBHOOK_CONCURRENCY },
  );
  const dispatcher = dispatchFinishedImports({ pool, queue: webhooksQueue, retrySchedule, logger });
  const reconciler = createReconciler({
    pool,
    queue,
    revertsQueue,
    logger,
    importAttempts: config.IMPORT_ATTEMPTS,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    webhooks: { queue: webhooksQueue, retrySchedule },
  });
  const eventLoop = watchEventLoop(logger, { lockDurationMs: config.WORKER_LOCK_DURATION_MS });

  // Prisma compiles its query engine (WebAssembly) on its first query, ≈ 0.6 s of CPU: done now, while the
  // worker waits for jobs, instead of inside the first import (which reads its record through Prisma).
  imports.get(NO_IMPORT).catch((error: unknown) => logger.warn({ err: error }, 'could not warm up the database client'));
  const running = Promise.all([worker.run(), revertWorker.run(), cleanupWorker.run(), webhookWorker.run()]);
  reconciler.start();
  eventLoop.start();
  // A port it cannot listen on costs the metrics, not the imports: logged, and the worker carries on.
  metricsServer?.start().then(
    (port) => logger.info({ port }, `metrics served on http://localhost:${port}/metrics`),
    (error: unknown) => logger.error({ err: error, port: config.WORKER_METRICS_PORT }, 'could not serve the metrics'),
  );
  // Not awaited: with Redis down at start-up this waits for it, while the rest of the worker carries on.
  registerSchedules(cleanupQueue, { cron: config.CLEANUP_CRON, tz: config.CLEANUP_TZ }).then(
    () => logger.info({ cron: config.CLEANUP_CRON, tz: config.CLEANUP_TZ }, 'cleanup scheduled'),
    (error: unknown) => logger.error({ err: error }, 'could not schedule the cleanup'),
  );
  logger.info(
    {
      concurrency: config.WORKER_CONCURRENCY,
      importsPerUser: importsPerUser(config),
      chunkSize: sizing.min === sizing.max ? sizing.min : { min: sizing.min, max: sizing.max, targetMs: sizing.targetMs },
      prefix: config.QUEUE_PREFIX,
      pid: process.pid,
    },
    'worker started',
  );

  onShutdownSignal(
    async () => {
      shutdown.abort(new WorkerShutdownError());
      await reconciler.stop();
      await dispatcher.stop();
      await Promise.all([worker.close(), revertWorker.close(), cleanupWorker.close(), webhookWorker.close()]);
      await running;
      eventLoop.stop();
      await metricsServer?.stop();
      await Promise.all([queue.close(), cleanupQueue.close(), webhooksQueue.close(), revertsQueue.close()]);
      connection.disconnect();
      await prisma.$disconnect();
      await pool.end();
    },
    {
      logger,
      message: 'shutting down: no new jobs; running imports stop after their current chunk',
      // Past the grace period, exit anyway: the jobs' locks expire and other workers resume them.
      timeout: { seconds: config.SHUTDOWN_TIMEOUT_S, message: 'shutdown took too long; exiting with jobs still held' },
    },
  );
}

try {
  main();
} catch (error: unknown) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
