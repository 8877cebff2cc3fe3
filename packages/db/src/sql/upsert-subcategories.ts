import type { TableRow, UpsertTable, WriteMode } from './upsert';

const uniqueSlug = `CASE WHEN EXISTS (SELECT 1 FROM "subcategories" x
    WHERE x."category_id" = i."category_id" AND x."slug" = i."slug" AND x."nom_key" <> i."nom_key")
  THEN i."slug" || '-' || left(md5(i."nom_key"), 6) ELSE i."slug" END`;

/** A blank NAF list keeps the stored list in `upsert` mode and clears it otherwise. */
const nafCodes = (mode: WriteMode) =>
  mode === 'upsert'
    ? `COALESCE(string_to_array(i."naf_codes", ','), (SELECT x."naf_codes" FROM "subcategories" x
         WHERE x."category_id" = i."category_id" AND x."nom_key" = i."nom_key"), '{}')`
    : `COALESCE(string_to_array(i."naf_codes", ','), '{}')`;

/**
 * `subcategories`, keyed by (category, folded name). `category_id` is null only in a dry run, for a
 * category that would be created; `naf_codes` travels as the codes joined by `,` (null when blank).
 */
export const subcategoriesTable = {
  table: 'subcategories',
  key: ['category_id', 'nom_key'],
  lineageTable: 'import_lineage_subcategories',
  referenced: `EXISTS (SELECT 1 FROM "companies" d WHERE d."subcategory_id" = t."id")`,
  columns: [
    { name: 'category_id', type: 'int8' },
    { name: 'nom_key', type: 'text', required: true },
    { name: 'nom', type: 'text', required: true },
    { name: 'slug', type: 'text', required: true, insert: uniqueSlug, updatable: false },
    { name: 'description', type: 'text' },
    { name: 'meta_description', type: 'text' },
    { name: 'mots_cles', type: 'text' },
    { name: 'ordre', type: 'int4' },
    { name: 'naf_codes', type: 'text', insert: nafCodes },
  ],
} as const satisfies UpsertTable;

export type SubcategoryRow = TableRow<typeof subcategoriesTable>;
