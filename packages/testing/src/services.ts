import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ImportLimits, RedisSettings } from '@importer/config';
import {
  createApiTokensRepository,
  createImportsRepository,
  createPrisma,
  createUsersRepository,
  insertImport,
  type NewRecordedImport,
  type Queryable,
} from '@importer/db';
import { createCleanupQueue, createImportsQueue, createRedis } from '@importer/queue';
import { createTestDatabase } from './database';
import { redisUrl, uniquePrefix } from './queue';

export interface TestServicesOptions {
  /** Redis to use (a throwaway server of the test's own, a test Redis Cluster's settings); default: the one `npm test` resolved. */
  redis?: RedisSettings | string;
  /** Producer-style Redis connection that fails fast while Redis is down (what the API uses). */
  failFast?: boolean;
  /** Prefix of the temporary storage folder. */
  storagePrefix?: string;
}

/**
 * What every harness stands on: a database of its own cloned from the migrated template, the repositories,
 * a Redis connection, the imports and cleanup queues on a prefix of its own, and a temporary storage folder.
 * `close()` releases them in reverse order; close what you built on top of them first.
 */
export async function startTestServices(options: TestServicesOptions = {}) {
  const db = await createTestDatabase();
  const prisma = createPrisma(db.pool);
  const prefix = uniquePrefix();
  const redis = createRedis(options.redis ?? redisUrl(), { failFast: options.failFast });
  const queue = createImportsQueue({ connection: redis, prefix });
  const cleanupQueue = createCleanupQueue({ connection: redis, prefix });
  const storageDir = await mkdtemp(path.join(tmpdir(), options.storagePrefix ?? 'importer-test-'));
  return {
    db,
    prisma,
    imports: createImportsRepository(prisma, db.pool),
    tokens: createApiTokensRepository(prisma),
    users: createUsersRepository(db.pool),
    prefix,
    redis,
    queue,
    cleanupQueue,
    storageDir,
    async close(): Promise<void> {
      await Promise.all([queue.close(), cleanupQueue.close()]).catch(() => undefined);
      redis.disconnect();
      await prisma.$disconnect();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

export type TestServices = Awaited<ReturnType<typeof startTestServices>>;

/** The import limits of tests: the defaults' sizes, a 5 MiB file. */
export const TEST_LIMITS: ImportLimits = {
  maxFileBytes: 5 * 1024 * 1024,
  maxRows: 1_000_000,
  maxColumns: 200,
  maxCellChars: 32 * 1024,
  maxStoredErrors: 100_000,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxXlsCells: 1_000_000,
  xlsMemoryMb: 640,
};

/** The logger of in-process apps and workers: silent unless `TEST_LOG_LEVEL` asks for more. */
export const testLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * The argument of the API's `createApp` in a test, on the services: their database, repositories, Redis,
 * queues and storage folder, a `testLogger()`, `TEST_LIMITS.maxFileBytes` and one attempt per import.
 * `overrides` replaces or adds the rest. (Typed by shape, not as `AppDeps`: the API depends on this
 * package, not the other way round; `createApp` checks the result.)
 */
export function testAppDeps<O extends object = object>(services: TestServices, overrides?: O) {
  return {
    pool: services.db.pool,
    redis: services.redis,
    imports: services.imports,
    tokens: services.tokens,
    users: services.users,
    queue: services.queue,
    cleanupQueue: services.cleanupQueue,
    logger: testLogger(),
    storageDir: services.storageDir,
    maxFileBytes: TEST_LIMITS.maxFileBytes,
    importAttempts: 1,
    ...(overrides as O),
  };
}

/**
 * Records a queued import of a small CSV straight in the database (no upload, no job), as an upload records
 * it (`insertImport`): for tests of what reads or runs imports. `fields` replaces any of the record's
 * defaults (the stored file's key, the profile…).
 */
export async function recordImport(db: Queryable, fields: Partial<NewRecordedImport> = {}): Promise<string> {
  const id = fields.id ?? randomUUID();
  await insertImport(db, {
    id,
    source: 'file',
    profile: 'companies',
    options: {},
    fileName: 'companies.csv',
    fileSize: 10,
    fileSha256: '0'.repeat(64),
    fileKey: `${id}.csv`,
    fileFormat: 'csv',
    createdBy: 'test',
    ...fields,
  });
  return id;
}
