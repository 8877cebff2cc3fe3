/** The lineage's share of the benchmark (docs/benchmark.md): an import row to hang a reference's lineage on, and what the lineage holds. */
import { randomUUID } from 'node:crypto';
import type { Pool } from '@importer/db';

/** A bare import record, for the lineage the reference writes (`referenceImport(…, { lineage })`). */
export async function benchImport(pool: Pool): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO "imports" ("id", "profile", "file_name", "file_size", "file_sha256", "file_key", "file_format")
     VALUES ($1, 'companies', 'reference.csv', 0, $2, $3, 'csv')`,
    [id, '0'.repeat(64), `${id}.csv`],
  );
  return id;
}

export interface LineageSize {
  /** Lineage rows of each import, by label. */
  rows: Record<string, number>;
  /** Size of the companies' lineage table, its indexes included, in MB. */
  tableMb: number;
}

export async function lineageSize(pool: Pool, imports: Record<string, string>): Promise<LineageSize> {
  const rows: Record<string, number> = {};
  for (const [label, id] of Object.entries(imports)) {
    const { rows: found } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS "n" FROM "import_lineage_companies" WHERE "import_id" = $1`,
      [id],
    );
    rows[label] = found[0]?.n ?? 0;
  }
  const { rows: size } = await pool.query<{ bytes: string }>(`SELECT pg_total_relation_size('import_lineage_companies')::text AS "bytes"`);
  return { rows, tableMb: Number(size[0]?.bytes ?? 0) / 1024 / 1024 };
}
