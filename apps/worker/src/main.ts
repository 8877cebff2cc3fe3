/** Worker process: parse configuration, connect, run the imports worker and the reconciler, stop cleanly. */
import pino from 'pino';
import { importLimits, loadWorkerConfig } from '@importer/config';
import { createImportsRepository, createPool, createPrisma } from '@importer/db';
import { createImportsQueue, createRedis } from '@importer/queue';
import { createReconciler } from './reconciler';
import { createImportWorker } from './worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = pino({ name: 'worker', level: config.LOG_LEVEL });
  // Each running import holds one connection for its chunk transaction and one for look-ups ahead of it.
  const pool = createPool(config.DATABASE_URL, { max: config.WORKER_CONCURRENCY * 2 + 2, applicationName: 'importer-worker' });
  const prisma = createPrisma(pool);
  const imports = createImportsRepository(prisma);
  const connection = createRedis(config.REDIS_URL);
  const queue = createImportsQueue({ connection, prefix: config.QUEUE_PREFIX });

  const worker = createImportWorker(
    {
      imports,
      logger,
      engine: { pool, imports, storageDir: config.STORAGE_DIR, limits: importLimits(config), chunkSize: config.CHUNK_SIZE },
    },
    {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      importsPerMinute: config.IMPORTS_PER_MINUTE,
    },
  );
  const reconciler = createReconciler({ pool, queue, logger, importAttempts: config.IMPORT_ATTEMPTS, intervalMs: 60_000 });

  const running = worker.run();
  reconciler.start();
  logger.info({ concurrency: config.WORKER_CONCURRENCY, prefix: config.QUEUE_PREFIX }, 'worker started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing the current chunks');
    await reconciler.stop();
    await worker.close();
    await running;
    await queue.close();
    connection.disconnect();
    await prisma.$disconnect();
    await pool.end();
    logger.info('stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
