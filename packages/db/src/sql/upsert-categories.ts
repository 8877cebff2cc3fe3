import type { Queryable } from '../pool';
import { upsertRows, type UpsertCounts, type UpsertTable, type WriteMode } from './upsert';

export interface CategoryRow {
  nom: string;
  nom_key: string;
  slug: string;
  description: string | null;
  meta_description: string | null;
  ordre: number | null;
}

/** A slug already taken by another category gets a stable suffix derived from this one's key. */
const uniqueSlug = `CASE WHEN EXISTS (SELECT 1 FROM "categories" x WHERE x."slug" = i."slug" AND x."nom_key" <> i."nom_key")
  THEN i."slug" || '-' || left(md5(i."nom_key"), 6) ELSE i."slug" END`;

export const categoriesTable: UpsertTable = {
  table: 'categories',
  key: ['nom_key'],
  undoTable: 'import_undo_categories',
  referenced: `EXISTS (SELECT 1 FROM "subcategories" d WHERE d."category_id" = t."id")`,
  columns: [
    { name: 'nom_key', type: 'text' },
    { name: 'nom', type: 'text' },
    { name: 'slug', type: 'text', insert: uniqueSlug, updatable: false },
    { name: 'description', type: 'text' },
    { name: 'meta_description', type: 'text' },
    { name: 'ordre', type: 'int4' },
  ],
};

export function upsertCategories(db: Queryable, rows: readonly CategoryRow[], mode: WriteMode): Promise<UpsertCounts> {
  return upsertRows(db, categoriesTable, mode, rows as unknown as Record<string, unknown>[]);
}
