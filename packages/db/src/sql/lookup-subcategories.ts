import type { Queryable } from '../pool';

export interface SubcategoryMatch {
  id: string;
  /** Folded name of the subcategory's category, to tell apart subcategories of the same name. */
  categoryKey: string;
}

export interface SubcategoryLookup {
  /** Subcategories by folded name (several categories may hold the same name). */
  byName: Map<string, SubcategoryMatch[]>;
  /** The subcategory a NAF code links to (the oldest when several list it). */
  byNaf: Map<string, string>;
}

/** Resolves subcategory names and NAF codes in one statement. */
export async function lookupSubcategories(
  db: Queryable,
  nomKeys: readonly string[],
  nafCodes: readonly string[],
): Promise<SubcategoryLookup> {
  const result: SubcategoryLookup = { byName: new Map(), byNaf: new Map() };
  if (nomKeys.length === 0 && nafCodes.length === 0) return result;
  const { rows } = await db.query<{ kind: 'name' | 'naf'; key: string; id: string; category_key: string | null }>({
    name: 'lookup_subcategories',
    text: `
      SELECT 'name' AS kind, s."nom_key" AS key, s."id", c."nom_key" AS category_key
      FROM "subcategories" s JOIN "categories" c ON c."id" = s."category_id"
      WHERE s."nom_key" = ANY($1::text[])
      UNION ALL
      SELECT DISTINCT ON (code) 'naf', code, s."id", NULL
      FROM "subcategories" s, unnest(s."naf_codes") AS code
      WHERE s."naf_codes" && $2::text[] AND code = ANY($2::text[])
      ORDER BY 1, 2, 3`,
    values: [nomKeys, nafCodes],
  });
  for (const row of rows) {
    if (row.kind === 'naf') {
      result.byNaf.set(row.key, row.id);
    } else {
      const matches = result.byName.get(row.key) ?? [];
      matches.push({ id: row.id, categoryKey: row.category_key ?? '' });
      result.byName.set(row.key, matches);
    }
  }
  return result;
}
