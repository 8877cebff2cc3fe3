import type { Queryable } from '../pool';

/** Category ids by folded name (`nom_key`), for the keys that exist. One statement. */
export async function lookupCategories(db: Queryable, nomKeys: readonly string[]): Promise<Map<string, string>> {
  if (nomKeys.length === 0) return new Map();
  const { rows } = await db.query<{ nom_key: string; id: string }>({
    name: 'lookup_categories',
    text: `SELECT "nom_key", "id" FROM "categories" WHERE "nom_key" = ANY($1::text[])`,
    values: [nomKeys],
  });
  return new Map(rows.map((row) => [row.nom_key, row.id]));
}
