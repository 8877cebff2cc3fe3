import { companiesTable, type CompanyRow } from '@importer/db';
import { boolean, date, email, nafCode, postalCode, siren, siret, text, url } from '../cells';
import { foldName } from '../text';
import { defineProfile, valueOf, type RowIssue } from './profile';

/**
 * Companies, keyed by `siren`. The subcategory link comes from `sous_categorie` (with `categorie` to tell
 * apart subcategories of the same name), else from `naf_code` through the subcategories' NAF codes. A
 * named subcategory that resolves to nothing leaves the company unlinked and raises a warning.
 */
export const companiesProfile = defineProfile<CompanyRow>({
  name: 'companies',
  columns: [
    { name: 'siren', required: true, parse: siren },
    { name: 'siret', parse: siret },
    { name: 'nom', aliases: ['name', 'raison_sociale', 'denomination'], required: true, parse: text({ max: 255 }) },
    { name: 'nom_commercial', aliases: ['enseigne', 'trade_name'], parse: text({ max: 255 }) },
    { name: 'adresse', aliases: ['address'], parse: text() },
    { name: 'code_postal', aliases: ['cp', 'postal_code', 'zip'], parse: postalCode },
    { name: 'ville_nom', aliases: ['ville', 'city', 'commune'], parse: text({ max: 100 }) },
    { name: 'naf_code', aliases: ['naf', 'code_naf', 'ape'], parse: nafCode },
    { name: 'naf_libelle', parse: text({ max: 255 }) },
    { name: 'telephone', aliases: ['phone', 'tel'], parse: text({ max: 20 }) },
    { name: 'email_contact', aliases: ['email'], parse: email },
    { name: 'site_web', aliases: ['website', 'url'], parse: url },
    { name: 'is_active', aliases: ['actif', 'active'], parse: boolean },
    { name: 'sous_categorie', aliases: ['subcategory'], parse: text({ max: 100 }) },
    { name: 'categorie', aliases: ['category'], parse: text({ max: 100 }) },
    { name: 'date_creation', aliases: ['created_on'], parse: date },
  ],
  key: (values) => valueOf<string>(values, 'siren') ?? '',
  check(values) {
    const sirenValue = valueOf<string>(values, 'siren');
    const siretValue = valueOf<string>(values, 'siret');
    if (sirenValue && siretValue && !siretValue.startsWith(sirenValue)) {
      return [{ column: 'siret', code: 'siret_mismatch', message: `must start with the siren ${sirenValue}` }];
    }
    return [];
  },
  async prepare(rows, { db, cache }) {
    const names = new Set<string>();
    const codes = new Set<string>();
    for (const { values } of rows) {
      const name = valueOf<string>(values, 'sous_categorie');
      const naf = valueOf<string>(values, 'naf_code');
      if (name) names.add(foldName(name));
      if (naf) codes.add(naf);
    }
    const { byName, byNaf } = await cache.subcategories(db, names, codes);
    const warnings: RowIssue[] = [];
    const records = rows.map(({ row, values }): CompanyRow => {
      const name = valueOf<string>(values, 'sous_categorie');
      const category = valueOf<string>(values, 'categorie');
      const naf = valueOf<string>(values, 'naf_code');
      let subcategoryId: string | null = null;
      if (name) {
        const matches = byName.get(foldName(name)) ?? [];
        const categoryKey = category ? foldName(category) : null;
        const chosen = categoryKey ? matches.filter((m) => m.categoryKey === categoryKey) : matches;
        if (chosen.length === 1) subcategoryId = chosen[0]?.id ?? null;
      }
      if (!subcategoryId && naf) subcategoryId = byNaf.get(naf) ?? null;
      if (name && !subcategoryId) {
        warnings.push({
          row,
          column: 'sous_categorie',
          code: 'unresolved_subcategory',
          message: `no single subcategory named "${name}"${category ? ` in category "${category}"` : ''}; the company is left unlinked`,
          value: name,
          level: 'warning',
        });
      }
      return {
        siren: valueOf(values, 'siren') ?? '',
        siret: valueOf(values, 'siret'),
        nom: valueOf(values, 'nom') ?? '',
        nom_commercial: valueOf(values, 'nom_commercial'),
        adresse: valueOf(values, 'adresse'),
        code_postal: valueOf(values, 'code_postal'),
        ville_nom: valueOf(values, 'ville_nom'),
        naf_code: naf,
        naf_libelle: valueOf(values, 'naf_libelle'),
        telephone: valueOf(values, 'telephone'),
        email_contact: valueOf(values, 'email_contact'),
        site_web: valueOf(values, 'site_web'),
        is_active: valueOf(values, 'is_active'),
        subcategory_id: subcategoryId,
        date_creation: valueOf(values, 'date_creation'),
      };
    });
    return { records, rejected: [], warnings };
  },
  table: companiesTable,
});
