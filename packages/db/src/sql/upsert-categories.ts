import type { Queryable } from '../pool';
import { upsertRows, type TableRow, type UpsertCounts, type UpsertTable, type WriteMode } from './upsert';

/** A slug already taken by another category gets a stable suffix derived from this one's key. */
const uniqueSlug = `CASE WHEN EXISTS (SELECT 1 FROM "categories" x WHERE x."slug" = i."slug" AND x."nom_key" <> i."nom_key")
  THEN i."slug" || '-' || left(md5(i."nom_key"), 6) ELSE i."slug" END`;

export const categoriesTable = {
  table: 'categories',
  key: ['nom_key'],
  lineageTable: 'import_lineage_categories',
  referenced: `EXISTS (SELECT 1 FROM "subcategories" d WHERE d."category_id" = t."id")`,
  columns: [
    { name: 'nom_key', type: 'text', required: true },
    { name: 'nom', type: 'text', required: true },
    { name: 'slug', type: 'text', required: true, insert: uniqueSlug, updatable: false },
    { name: 'description', type: 'text' },
    { name: 'meta_description', type: 'text' },
    { name: 'ordre', type: 'int4' },
  ],
} as const satisfies UpsertTable;

export type CategoryRow = TableRow<typeof categoriesTable>;

export function upsertCategories(db: Queryable, rows: readonly CategoryRow[], mode: WriteMode): Promise<UpsertCounts> {
  return upsertRows(db, categoriesTable, mode, rows);
}
