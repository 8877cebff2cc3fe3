import {
  lookupCategories,
  lookupSubcategories,
  upsertCategories,
  type CategoryRow,
  type Queryable,
  type SubcategoryMatch,
} from '@importer/db';

/**
 * Per-import cache of category and subcategory lookups. Each chunk asks for its keys; only the keys never
 * seen before reach the database, in one statement, and misses are cached too, so a file naming the same
 * hundred categories a million times asks for each once.
 */
export class LookupCache {
  private readonly categories = new Map<string, string | null>();
  private readonly subcategoriesByName = new Map<string, SubcategoryMatch[]>();
  private readonly subcategoriesByNaf = new Map<string, string | null>();

  /** Category ids by folded name; null for a category that does not exist. */
  async categoryIds(db: Queryable, keys: Iterable<string>): Promise<Map<string, string | null>> {
    const missing = unseen(this.categories, keys);
    if (missing.length > 0) {
      const found = await lookupCategories(db, missing);
      for (const key of missing) this.categories.set(key, found.get(key) ?? null);
    }
    return this.categories;
  }

  /** Creates the categories named (insert-only, so concurrent imports agree) and caches their ids. */
  async createCategories(db: Queryable, rows: readonly CategoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await upsertCategories(db, rows, 'insert_only');
    const found = await lookupCategories(
      db,
      rows.map((row) => row.nom_key),
    );
    for (const [key, id] of found) this.categories.set(key, id);
  }

  /** Subcategories by folded name and by NAF code, fetching every unseen key of both kinds at once. */
  async subcategories(
    db: Queryable,
    nameKeys: Iterable<string>,
    nafCodes: Iterable<string>,
  ): Promise<{ byName: Map<string, SubcategoryMatch[]>; byNaf: Map<string, string | null> }> {
    const names = unseen(this.subcategoriesByName, nameKeys);
    const codes = unseen(this.subcategoriesByNaf, nafCodes);
    if (names.length > 0 || codes.length > 0) {
      const found = await lookupSubcategories(db, names, codes);
      for (const key of names) this.subcategoriesByName.set(key, found.byName.get(key) ?? []);
      for (const code of codes) this.subcategoriesByNaf.set(code, found.byNaf.get(code) ?? null);
    }
    return { byName: this.subcategoriesByName, byNaf: this.subcategoriesByNaf };
  }
}

function unseen<K>(cache: Map<K, unknown>, keys: Iterable<K>): K[] {
  const missing = new Set<K>();
  for (const key of keys) if (!cache.has(key)) missing.add(key);
  return [...missing];
}
