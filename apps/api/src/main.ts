/** API process: parse configuration, connect, listen, and shut down cleanly on SIGTERM/SIGINT. */
import { once } from 'node:events';
import pino from 'pino';
import { importLimits, loadApiConfig } from '@importer/config';
import { createApiTokensRepository, createImportsRepository, createPool, createPrisma } from '@importer/db';
import { createImportsQueue, createRedis } from '@importer/queue';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = pino({ name: 'api', level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, { applicationName: 'importer-api' });
  const prisma = createPrisma(pool);
  const redis = createRedis(config.REDIS_URL, { failFast: true });
  const queue = createImportsQueue({ connection: redis, prefix: config.QUEUE_PREFIX });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));

  const app = createApp({
    pool,
    redis,
    imports: createImportsRepository(prisma),
    tokens: createApiTokensRepository(prisma),
    queue,
    logger,
    storageDir: config.STORAGE_DIR,
    maxFileBytes: importLimits(config).maxFileBytes,
    importAttempts: config.IMPORT_ATTEMPTS,
    bootstrapToken: config.IMPORTER_BOOTSTRAP_TOKEN,
  });
  const server = app.listen(config.PORT);
  await once(server, 'listening');
  logger.info({ port: config.PORT }, `API listening on http://localhost:${config.PORT}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await once(server, 'close');
    await queue.close();
    redis.disconnect();
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
