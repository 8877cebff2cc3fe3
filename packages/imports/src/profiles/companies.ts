import { companiesTable, type CompanyRow, type SubcategoryMatch } from '@importer/db';
import { boolean, date, email, nafCode, postalCode, siren, siret, text, url } from '../cells';
import { foldName } from '../text';
import { defineProfile, type RowIssue } from './profile';

const NO_PROBLEMS: never[] = [];

/** The id of the one subcategory among `matches` in the category `categoryKey` (any, when empty), or null. */
function onlyMatch(matches: readonly SubcategoryMatch[] | undefined, categoryKey: string): string | null {
  let id: string | null = null;
  let count = 0;
  for (const match of matches ?? NO_PROBLEMS) {
    if (categoryKey && match.categoryKey !== categoryKey) continue;
    id = match.id;
    count++;
  }
  return count === 1 ? id : null;
}

/**
 * Companies, keyed by `siren`. The subcategory link comes from `sous_categorie` (with `categorie` to tell
 * apart subcategories of the same name), else from `naf_code` through the subcategories' NAF codes. A
 * named subcategory that resolves to nothing leaves the company unlinked and raises a warning.
 */
export const companiesProfile = defineProfile({
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
  key: (values) => values.siren ?? '',
  check(values) {
    const { siren: sirenValue, siret: siretValue } = values;
    if (sirenValue && siretValue && !siretValue.startsWith(sirenValue)) {
      return [{ column: 'siret', code: 'siret_mismatch', message: `must start with the siren ${sirenValue}` }];
    }
    return NO_PROBLEMS;
  },
  async prepare(rows, { db, cache }) {
    // Names are folded once per distinct name of the batch; keys travel to the cache as they come, one
    // per row, for it to ask only for those it has not seen.
    const folded = new Map<string, string>();
    const fold = (name: string) => {
      let key = folded.get(name);
      if (key === undefined) folded.set(name, (key = foldName(name)));
      return key;
    };
    const nameKeys = new Array<string | null>(rows.length);
    const names: string[] = [];
    const codes: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]!.values;
      nameKeys[i] = v.sous_categorie ? fold(v.sous_categorie) : null;
      if (nameKeys[i] !== null) names.push(nameKeys[i]!);
      if (v.naf_code) codes.push(v.naf_code);
    }
    const { byName, byNaf } = await cache.subcategories(db, names, codes);
    const warnings: RowIssue[] = [];
    const records = new Array<CompanyRow>(rows.length);
    const recordRows = new Array<number>(rows.length);
    // Runs for every row of a million-row file: plain property reads of the validated values.
    for (let i = 0; i < rows.length; i++) {
      const { row, values: v } = rows[i]!;
      const name = v.sous_categorie ?? null;
      const naf = v.naf_code ?? null;
      let subcategoryId: string | null = null;
      const nameKey = nameKeys[i] as string | null;
      if (nameKey !== null) subcategoryId = onlyMatch(byName.get(nameKey), v.categorie ? fold(v.categorie) : '');
      if (!subcategoryId && naf) subcategoryId = byNaf.get(naf) ?? null;
      if (name && !subcategoryId) {
        warnings.push({
          row,
          column: 'sous_categorie',
          code: 'unresolved_subcategory',
          message: `no single subcategory named "${name}"${v.categorie ? ` in category "${v.categorie}"` : ''}; the company is left unlinked`,
          value: name,
          level: 'warning',
        });
      }
      recordRows[i] = row;
      records[i] = {
        siren: v.siren ?? '',
        siret: v.siret ?? null,
        nom: v.nom ?? '',
        nom_commercial: v.nom_commercial ?? null,
        adresse: v.adresse ?? null,
        code_postal: v.code_postal ?? null,
        ville_nom: v.ville_nom ?? null,
        naf_code: naf,
        naf_libelle: v.naf_libelle ?? null,
        telephone: v.telephone ?? null,
        email_contact: v.email_contact ?? null,
        site_web: v.site_web ?? null,
        is_active: v.is_active ?? null,
        subcategory_id: subcategoryId,
        date_creation: v.date_creation ?? null,
      };
    }
    return { records, rows: recordRows, rejected: [], warnings };
  },
  table: companiesTable,
});
