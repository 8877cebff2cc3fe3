import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '@importer/config';
import { createPool, MIGRATIONS_DIR, runMigrations, type Pool } from '@importer/db';

/** The server tests use: the one `npm test` resolved (DATABASE_URL), else the local default. */
export const serverUrl = () => process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onMaintenance<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Name of the template database for the current migrations: a new migration makes a new template. */
async function templateName(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(MIGRATIONS_DIR)).sort()) {
    if (name.endsWith('.toml')) continue;
    hash.update(name).update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql')));
  }
  return `importer_template_${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Creates, once per set of migrations, a template database with every migration applied. Called by jest's
 * global set-up; each test file then clones it, which takes milliseconds.
 */
export async function ensureTemplateDatabase(): Promise<string> {
  const name = await templateName();
  const exists = await onMaintenance(async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  });
  if (exists) return name;
  const building = `${name}_building_${randomBytes(3).toString('hex')}`;
  await onMaintenance((client) => client.query(`CREATE DATABASE "${building}"`));
  const pool = createPool(withDatabase(serverUrl(), building), { max: 1 });
  try {
    await runMigrations(pool);
  } finally {
    await pool.end();
  }
  await onMaintenance(async (client) => {
    try {
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } catch (error) {
      // Another run built the same template meanwhile: keep theirs.
      if ((error as { code?: string }).code !== '42P04') throw error;
      await client.query(`DROP DATABASE "${building}"`);
    }
  });
  return name;
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh database for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await ensureTemplateDatabase();
  const name = `importer_test_${randomBytes(6).toString('hex')}`;
  await onMaintenance((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = withDatabase(serverUrl(), name);
  const pool = createPool(url, { max: 10, applicationName: 'importer-test' });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await onMaintenance((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
