/** The benchmark's own database: created (dropped first if a name is reused) and migrated at each run, dropped at the end. */
import pg from 'pg';
import { createPool, runMigrations, type Pool } from '@importer/db';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onMaintenance(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  url: string;
  pool: Pool;
  /**
   * Empties the companies and the imports, so that each measurement starts from the same state; the
   * catalogue (categories, subcategories) stays.
   */
  reset(): Promise<void>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  const quoted = `"${name.replaceAll('"', '""')}"`;
  await onMaintenance(serverUrl, `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  await onMaintenance(serverUrl, `CREATE DATABASE ${quoted}`);
  const url = withDatabase(serverUrl, name);
  const pool = createPool(url, { max: 4, applicationName: 'importer-bench' });
  await runMigrations(pool);
  return {
    url,
    pool,
    async reset() {
      await pool.query('TRUNCATE "companies", "imports" RESTART IDENTITY CASCADE');
      await pool.query('VACUUM ANALYZE');
      await pool.query('CHECKPOINT');
    },
    async drop() {
      await pool.end();
      await onMaintenance(serverUrl, `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    },
  };
}
