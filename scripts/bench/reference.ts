/**
 * The reference: what PostgreSQL itself does with the same CSV, with no application in between. The file is
 * streamed by COPY into a temporary staging table of text columns, then one `INSERT … SELECT … ON CONFLICT
 * (siren) DO UPDATE … WHERE … IS DISTINCT FROM …` moves it into `companies` (the product's migrated table:
 * its unique key on `siren`, its foreign key `subcategory_id` → `subcategories`), converting as little as
 * the schema needs (booleans, NAF codes). One transaction.
 *
 * Linked (the real job, issue 12): the SELECT LEFT JOINs the subcategories by NAF code, each code to the
 * oldest subcategory listing it as Importer resolves it, so every company's `subcategory_id` is set and
 * checked by the foreign key. Unlinked (`link: false`, the earlier benchmark's case): no join, no link.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { companiesTable, lineageColumns, type Pool } from '@importer/db';
import { cpuSeconds } from './cpu';
import { BENCH_HEADERS } from './files';

const updatable = BENCH_HEADERS.filter((h) => h !== 'siren');

/** The staging row as a companies row. */
const converted: Record<string, string> = {
  is_active: `coalesce(lower(s."is_active") IN ('oui', 'true', 'yes', '1'), true)`,
  naf_code: `regexp_replace(upper(s."naf_code"), '^(\\d{2})\\.?(\\d{2})([A-Z])$', '\\1.\\2\\3')`,
};
const selectList = BENCH_HEADERS.map((h) => converted[h] ?? `nullif(s."${h}", '')`);

/**
 * Each NAF code's subcategory (the oldest listing it, as `lookupSubcategories` resolves it), under both
 * spellings a file may hold (`62.10Z`, `6210Z`), so that the join compares the cell as it is and the
 * normalising expression runs only for a code no subcategory lists (it costs ~4 µs a row).
 */
const BY_NAF = `
  SELECT spelling, code, min(sc."id") AS "id"
  FROM "subcategories" sc, unnest(sc."naf_codes") AS code, unnest(ARRAY[code, replace(code, '.', '')]) AS spelling
  GROUP BY spelling, code`;

function insertStatement(link: boolean): string {
  const columns = link ? [...BENCH_HEADERS, 'subcategory_id'] : BENCH_HEADERS;
  const changing = link ? [...updatable, 'subcategory_id'] : updatable;
  const values = link
    ? [...selectList.map((e, i) => (BENCH_HEADERS[i] === 'naf_code' ? `coalesce(l.code, ${e})` : e)), 'l."id"']
    : selectList;
  return `
  INSERT INTO "companies" AS t (${columns.map((c) => `"${c}"`).join(', ')})
  SELECT ${values.join(', ')}
  FROM staging s${link ? ` LEFT JOIN (${BY_NAF}) l ON l.spelling = upper(s."naf_code")` : ''}
  ON CONFLICT ("siren") DO UPDATE SET ${changing.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}, "updated_at" = now()
  WHERE (${changing.map((c) => `t."${c}"`).join(', ')}) IS DISTINCT FROM (${changing.map((c) => `EXCLUDED."${c}"`).join(', ')})`;
}

/** Columns of a company's before-image in its lineage (`import_lineage_companies`). */
const image = [...lineageColumns(companiesTable), 'updated_at'].map((c) => `"${c}"`);

/**
 * The same INSERT writing the lineage as Importer's chunk statement does (keys, created, before-image read
 * from the statement's snapshot, updated_at after), for an import row of its own: the lineage's cost at the
 * database's own speed.
 */
const INSERT_WITH_LINEAGE = `
  WITH w AS (${insertStatement(true)} RETURNING t."siren", (t.xmax = 0) AS "created", t."updated_at")
  INSERT INTO "import_lineage_companies" ("import_id", "siren", "created", "after_updated_at", ${image.join(', ')})
  SELECT $1, w."siren", w."created", w."updated_at", ${image.map((c) => `o.${c}`).join(', ')}
  FROM w LEFT JOIN "companies" o ON o."siren" = w."siren" AND NOT w."created"`;

export interface ReferenceRun {
  seconds: number;
  /** CPU time of the PostgreSQL backend that ran it (`cpu.ts`), in seconds. */
  cpuSeconds: number;
  /** Rows the INSERT created or updated. */
  written: number;
}

/**
 * `link`: join the subcategories (default true); `lineage`: the id of an import row to write the lineage for
 * (see `INSERT_WITH_LINEAGE`; linked).
 */
export async function referenceImport(
  pool: Pool,
  csvFile: string,
  options: { link?: boolean; lineage?: string } = {},
): Promise<ReferenceRun> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS "pid"');
    const backend = rows[0]?.pid ?? 0;
    const cpuBefore = await cpuSeconds(backend);
    const started = process.hrtime.bigint();
    await client.query('BEGIN');
    await client.query(`CREATE TEMPORARY TABLE staging (${BENCH_HEADERS.map((c) => `"${c}" text`).join(', ')}) ON COMMIT DROP`);
    await pipeline(createReadStream(csvFile), client.query(copyFrom(`COPY staging FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    const { rowCount } = options.lineage
      ? await client.query(INSERT_WITH_LINEAGE, [options.lineage])
      : await client.query(insertStatement(options.link ?? true));
    await client.query('COMMIT');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, cpuSeconds: (await cpuSeconds(backend)) - cpuBefore, written: rowCount ?? 0 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Checks that `companies` has what the linked reference relies on: the unique key on `siren` (the ON
 * CONFLICT arbiter) and the foreign key `subcategory_id` → `subcategories` (checked for every row written).
 */
export async function checkLinkedSchema(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ unique_siren: boolean; link: boolean }>(
    `SELECT
       EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
               WHERE i.indrelid = '"companies"'::regclass AND i.indisunique AND i.indnatts = 1 AND a.attname = 'siren') AS unique_siren,
       EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.conrelid = '"companies"'::regclass AND c.contype = 'f' AND c.confrelid = '"subcategories"'::regclass
                 AND a.attname = 'subcategory_id') AS link`,
  );
  if (!rows[0]?.unique_siren || !rows[0]?.link) {
    throw new Error(`companies lacks what the linked reference measures against: ${JSON.stringify(rows[0])}`);
  }
}
