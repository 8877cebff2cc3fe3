import { categoriesTable, type CategoryRow } from '@importer/db';
import { integer, text } from '../cells';
import { foldName, slugify } from '../text';
import { defineProfile } from './profile';

const nomColumn = { name: 'nom', aliases: ['name', 'categorie', 'category'], required: true, parse: text({ max: 100 }) } as const;
export const descriptionColumn = { name: 'description', parse: text() } as const;
export const metaDescriptionColumn = { name: 'meta_description', parse: text({ max: 160 }) } as const;
export const ordreColumn = { name: 'ordre', aliases: ['order', 'position'], parse: integer({ min: 0 }) } as const;

/** Categories, keyed by `nom` folded (case and accents ignored); the slug is derived once, at creation. */
export const categoriesProfile = defineProfile({
  name: 'categories',
  columns: [nomColumn, descriptionColumn, metaDescriptionColumn, ordreColumn],
  key: (values) => foldName(values.nom ?? ''),
  prepare(rows) {
    const records = rows.map(({ values }): CategoryRow => {
      const nom = values.nom ?? '';
      return {
        nom,
        nom_key: foldName(nom),
        slug: slugify(nom),
        description: values.description ?? null,
        meta_description: values.meta_description ?? null,
        ordre: values.ordre ?? null,
      };
    });
    return Promise.resolve({ records, rows: rows.map((row) => row.row), rejected: [], warnings: [] });
  },
  table: categoriesTable,
});
