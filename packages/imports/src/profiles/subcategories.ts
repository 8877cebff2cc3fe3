import { subcategoriesTable, type CategoryRow, type SubcategoryRow } from '@importer/db';
import { nafList, text } from '../cells';
import { foldName, slugify } from '../text';
import { descriptionColumn, metaDescriptionColumn, ordreColumn } from './categories';
import { defineProfile, valueOf, type RowIssue } from './profile';

/** Subcategories, keyed by (category, `nom`); the category is resolved by name through the lookup cache. */
export const subcategoriesProfile = defineProfile<SubcategoryRow>({
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
  key: (values) => `${foldName(valueOf<string>(values, 'categorie') ?? '')}\u0000${foldName(valueOf<string>(values, 'nom') ?? '')}`,
  async prepare(rows, { db, cache, options }) {
    const categoryKey = (values: Readonly<Record<string, unknown>>) => foldName(valueOf<string>(values, 'categorie') ?? '');
    let ids = await cache.categoryIds(db, rows.map((row) => categoryKey(row.values)));
    // Missing categories are created when asked, except in a dry run, where their rows count as created.
    const creating = options.createMissingCategories;
    if (creating && !options.dryRun) {
      const missing = new Map<string, CategoryRow>();
      for (const { values } of rows) {
        const key = categoryKey(values);
        const nom = valueOf<string>(values, 'categorie') ?? '';
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
        const name = valueOf<string>(values, 'categorie');
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
      const nom = valueOf<string>(values, 'nom') ?? '';
      recordRows.push(row);
      records.push({
        category_id: categoryId,
        nom,
        nom_key: foldName(nom),
        slug: slugify(nom),
        description: valueOf(values, 'description'),
        meta_description: valueOf(values, 'meta_description'),
        mots_cles: valueOf(values, 'mots_cles'),
        ordre: valueOf(values, 'ordre'),
        naf_codes: valueOf<string[]>(values, 'naf_codes')?.join(',') ?? null,
      });
    }
    return { records, rows: recordRows, rejected, warnings: [] };
  },
  table: subcategoriesTable,
});
