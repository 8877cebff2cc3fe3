import { categoriesTable, type CategoryRow } from '@importer/db';
import { integer, text } from '../cells';
import { foldName, slugify } from '../text';
import { defineProfile, valueOf } from './profile';

export const nomColumn = { name: 'nom', aliases: ['name', 'categorie', 'category'], required: true, parse: text({ max: 100 }) };
export const descriptionColumn = { name: 'description', parse: text() };
export const metaDescriptionColumn = { name: 'meta_description', parse: text({ max: 160 }) };
export const ordreColumn = { name: 'ordre', aliases: ['order', 'position'], parse: integer({ min: 0 }) };

/** Categories, keyed by `nom` folded (case and accents ignored); the slug is derived once, at creation. */
export const categoriesProfile = defineProfile<CategoryRow>({
  name: 'categories',
  columns: [nomColumn, descriptionColumn, metaDescriptionColumn, ordreColumn],
  key: (values) => foldName(valueOf<string>(values, 'nom') ?? ''),
  async prepare(rows) {
    const records = rows.map(({ values }): CategoryRow => {
      const nom = valueOf<string>(values, 'nom') ?? '';
      return {
        nom,
        nom_key: foldName(nom),
        slug: slugify(nom),
        description: valueOf(values, 'description'),
        meta_description: valueOf(values, 'meta_description'),
        ordre: valueOf(values, 'ordre'),
      };
    });
    return { records, rows: rows.map((row) => row.row), rejected: [], warnings: [] };
  },
  table: categoriesTable,
});
