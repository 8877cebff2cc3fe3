import { lineageColumns, type UpsertTable } from '@importer/db';
import { createTestDatabase, type TestDatabase } from '@importer/testing';
import { PROFILES } from '../src/profiles';

/**
 * Each profile's table spec is what the set-based statements are built from, and the rows' TypeScript types
 * are inferred from it: it must agree with the migrated schema, column by column.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

interface DbColumn {
  type: string;
  notNull: boolean;
}

async function columnsOf(table: string): Promise<Map<string, DbColumn>> {
  const { rows } = await db.pool.query<{ name: string; type: string; not_null: boolean }>(
    `SELECT a.attname AS name, t.typname AS type, a.attnotnull AS not_null
     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [`"${table}"`],
  );
  return new Map(rows.map((row) => [row.name, { type: row.type, notNull: row.not_null }]));
}

async function uniqueIndexes(table: string): Promise<string[][]> {
  const { rows } = await db.pool.query<{ columns: string[] }>(
    `SELECT array_agg(a.attname::text ORDER BY k.n) AS columns
     FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = $1::regclass AND i.indisunique
     GROUP BY i.indexrelid`,
    [`"${table}"`],
  );
  return rows.map((row) => row.columns);
}

/** The database type a parameter type fits: `text` parameters also serve `varchar` columns (same operators). */
const fits = (specType: string, dbType: string | undefined) => dbType === specType || (specType === 'text' && dbType === 'varchar');

const tables = [...new Map(Object.values(PROFILES).map((profile) => [profile.table.table, profile.table])).values()];

describe.each(tables.map((spec): [string, UpsertTable] => [spec.table, spec]))('the %s table spec', (_name, spec) => {
  it('names columns the table has, with the types its parameters are cast to (or an insert expression converts)', async () => {
    const columns = await columnsOf(spec.table);
    for (const column of spec.columns) {
      const type = columns.get(column.name)?.type;
      // A column with an insert expression is converted by it (NAF codes travel joined, as text).
      const ok = column.insert ? type !== undefined : fits(column.type, type);
      expect({ column: column.name, type, ok }).toEqual({ column: column.name, type, ok: true });
      if (column.required)
        expect({ column: column.name, notNull: columns.get(column.name)?.notNull }).toEqual({ column: column.name, notNull: true });
    }
  });

  it('has a unique index on exactly its key (the upsert conflicts on it)', async () => {
    expect(await uniqueIndexes(spec.table)).toContainEqual([...spec.key]);
  });

  it('has a lineage table holding the key, every other column and updated_at, with the same types', async () => {
    const table = await columnsOf(spec.table);
    const lineage = await columnsOf(spec.lineageTable);
    expect(lineage.get('import_id')?.type).toBe('uuid');
    expect(lineage.get('created')?.type).toBe('bool');
    expect(lineage.get('after_updated_at')?.type).toBe(table.get('updated_at')?.type);
    for (const name of [...spec.key, ...lineageColumns(spec), 'updated_at']) {
      expect({ column: name, type: lineage.get(name)?.type }).toEqual({ column: name, type: table.get(name)?.type });
    }
    // Every business column of the table is in the image: a new one must be added to the lineage too.
    const business = [...table.keys()].filter((name) => !['id', 'created_at'].includes(name));
    expect(business.filter((name) => !lineage.has(name))).toEqual([]);
  });
});
