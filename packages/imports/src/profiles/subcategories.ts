import { subcategoriesTable, type CategoryRow, type SubcategoryRow } from '@importer/db';
import { nafList, text } from '../cells';
import { foldName, slugify } from '../text';
import { descriptionColumn, metaDescriptionColumn, ordreColumn } from './categories';
import { defineProfile, type RowIssue } from './profile';

/** Subcategories, keyed by (category, `nom`); the category is resolved by name through the lookup cache. */
export const subcategoriesProfile = defineProfile({
  name: 'subcategories',
  columns: [
    { name: 'nom', aliases: ['name', 'sous_categorie', 'subcategory'], required: true, parse: text({ max: 100 }) },
    { name: 'categorie', aliases: ['category', 'parent'], required: true, parse: text({ max: 100 }) },
    descriptionColumn,
    metaDescriptionColumn,
    { name: 'mots_cles', aliases: ['keywords'], parse: text() },
    ordreColumn,
    { name: 'naf_codes', aliases: ['naf', 'codes_naf'], parse: nafList },
  ],
  key: (values) => `${foldName(values.categorie ?? '')}\u0000${foldName(values.nom ?? '')}`,
  async prepare(rows, { db, cache, options }) {
    const categoryKey = (values: { categorie?: string }) => foldName(values.categorie ?? '');
    let ids = await cache.categoryIds(
      db,
      rows.map((row) => categoryKey(row.values)),
    );
    // Missing categories are created when asked, except in a dry run, where their rows count as created.
    const creating = options.createMissingCategories;
    if (creating && !options.dryRun) {
      const missing = new Map<string, CategoryRow>();
      for (const { values } of rows) {
        const key = categoryKey(values);
        const nom = values.categorie ?? '';
        if (ids.get(key) === null && !missing.has(key)) {
          missing.set(key, { nom, nom_key: key, slug: slugify(nom), description: null, meta_description: null, ordre: null });
        }
      }
      await cache.createCategories(db, [...missing.values()]);
      ids = await cache.categoryIds(db, []);
    }
    const records: SubcategoryRow[] = [];
    const recordRows: number[] = [];
    const rejected: RowIssue[] = [];
    for (const { row, values } of rows) {
      const categoryId = ids.get(categoryKey(values)) ?? null;
      if (!categoryId && !(creating && options.dryRun)) {
        const name = values.categorie ?? null;
        rejected.push({
          row,
          column: 'categorie',
          code: 'unknown_category',
          message: `no category named "${name}" exists; import it first or set createMissingCategories`,
          value: name,
          level: 'error',
        });
        continue;
      }
      const nom = values.nom ?? '';
      recordRows.push(row);
      records.push({
        category_id: categoryId,
        nom,
        nom_key: foldName(nom),
        slug: slugify(nom),
        description: values.description ?? null,
        meta_description: values.meta_description ?? null,
        mots_cles: values.mots_cles ?? null,
        ordre: values.ordre ?? null,
        naf_codes: values.naf_codes?.join(',') ?? null,
      });
    }
    return { records, rows: recordRows, rejected, warnings: [] };
  },
  table: subcategoriesTable,
});
