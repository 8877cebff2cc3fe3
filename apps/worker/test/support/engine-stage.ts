import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImportsRepository, createPrisma, type ImportsRepository, type Pool, type PrismaClient } from '@importer/db';
import type { ImportEngineDeps } from '@importer/imports';
import { createTestDatabase, recordImport, TEST_LIMITS, type TestDatabase } from '@importer/testing';

/** The import engine run in process, on a database and a file store of the test file's own. */
export interface EngineStage {
  db: TestDatabase;
  imports: ImportsRepository;
  /** The engine's dependencies on `pool` (default: the database's) with `chunkSize`. */
  engine: (chunkSize: ImportEngineDeps['chunkSize'], pool?: Pool) => ImportEngineDeps;
  /** Stores a CSV and records its import (queued, no user); resolves to its id. */
  newImport: (csv: string, fileName: string) => Promise<string>;
}

/**
 * Sets the stage up before the test file's tests and takes it down after them (jest's `beforeAll` and
 * `afterAll`): its fields are there once the tests run.
 */
export function useEngineStage(): EngineStage {
  let prisma: PrismaClient;
  let storageDir: string;
  const stage: EngineStage = {
    db: undefined as unknown as TestDatabase,
    imports: undefined as unknown as ImportsRepository,
    engine: (chunkSize, pool = stage.db.pool) => ({ pool, imports: stage.imports, storageDir, limits: TEST_LIMITS, chunkSize }),
    newImport: async (csv, fileName) => {
      const id = randomUUID();
      await writeFile(path.join(storageDir, `${id}.csv`), csv);
      return recordImport(stage.db.pool, { id, fileName, createdBy: null });
    },
  };
  beforeAll(async () => {
    stage.db = await createTestDatabase();
    prisma = createPrisma(stage.db.pool);
    stage.imports = createImportsRepository(prisma, stage.db.pool);
    storageDir = await mkdtemp(path.join(tmpdir(), 'importer-engine-'));
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await stage.db.drop();
    await rm(storageDir, { recursive: true, force: true });
  });
  return stage;
}
