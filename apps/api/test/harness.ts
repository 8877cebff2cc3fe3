import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApiTokensRepository, createImportsRepository, createPrisma, createUsersRepository } from '@importer/db';
import { createImportsQueue, createRedis } from '@importer/queue';
import { createTestDatabase, redisUrl, uniquePrefix } from '@importer/testing';
import { createApp, type AppDeps } from '../src/app';

/** The API app in process (supertest) on a database and queue prefix of its own; no worker. */
export async function startApi(options: { maxFileBytes?: number; bootstrapToken?: string; app?: Partial<AppDeps> } = {}) {
  const db = await createTestDatabase();
  const prisma = createPrisma(db.pool);
  const imports = createImportsRepository(prisma);
  const tokens = createApiTokensRepository(prisma);
  const redis = createRedis(redisUrl(), { failFast: true });
  const prefix = uniquePrefix();
  const queue = createImportsQueue({ connection: redis, prefix });
  const storageDir = await mkdtemp(path.join(tmpdir(), 'importer-api-test-'));
  const app = createApp({
    pool: db.pool,
    redis,
    imports,
    tokens,
    queue,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    storageDir,
    maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
    importAttempts: 1,
    bootstrapToken: options.bootstrapToken,
    ...options.app,
  });
  const { token } = await tokens.create('api-test', 'admin');
  return {
    db,
    queue,
    tokens,
    token,
    prefix,
    redis,
    imports,
    users: createUsersRepository(db.pool),
    app,
    http: request(app),
    /** Files left in storage (a refused upload must leave none). */
    storedFiles: () => readdir(storageDir),
    async close() {
      await queue.close();
      redis.disconnect();
      await prisma.$disconnect();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export type ApiHarness = Awaited<ReturnType<typeof startApi>>;
