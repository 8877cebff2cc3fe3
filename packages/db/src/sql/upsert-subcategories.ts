import type { UpsertTable, WriteMode } from './upsert';

export interface SubcategoryRow {
  /** Null only in a dry run, for a category that would be created. */
  category_id: string | null;
  nom: string;
  nom_key: string;
  slug: string;
  description: string | null;
  meta_description: string | null;
  mots_cles: string | null;
  ordre: number | null;
  /** NAF codes joined by `,`; null when the cell was blank. */
  naf_codes: string | null;
}

const uniqueSlug = `CASE WHEN EXISTS (SELECT 1 FROM "subcategories" x
    WHERE x."category_id" = i."category_id" AND x."slug" = i."slug" AND x."nom_key" <> i."nom_key")
  THEN i."slug" || '-' || left(md5(i."nom_key"), 6) ELSE i."slug" END`;

/** A blank NAF list keeps the stored list in `upsert` mode and clears it otherwise. */
const nafCodes = (mode: WriteMode) =>
  mode === 'upsert'
    ? `COALESCE(string_to_array(i."naf_codes", ','), (SELECT x."naf_codes" FROM "subcategories" x
         WHERE x."category_id" = i."category_id" AND x."nom_key" = i."nom_key"), '{}')`
    : `COALESCE(string_to_array(i."naf_codes", ','), '{}')`;

export const subcategoriesTable: UpsertTable = {
  table: 'subcategories',
  key: ['category_id', 'nom_key'],
  undoTable: 'import_undo_subcategories',
  referenced: `EXISTS (SELECT 1 FROM "companies" d WHERE d."subcategory_id" = t."id")`,
  columns: [
    { name: 'category_id', type: 'int8' },
    { name: 'nom_key', type: 'text' },
    { name: 'nom', type: 'text' },
    { name: 'slug', type: 'text', insert: uniqueSlug, updatable: false },
    { name: 'description', type: 'text' },
    { name: 'meta_description', type: 'text' },
    { name: 'mots_cles', type: 'text' },
    { name: 'ordre', type: 'int4' },
    { name: 'naf_codes', type: 'text', insert: nafCodes },
  ],
};

