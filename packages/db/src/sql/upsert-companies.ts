import type { UpsertTable } from './upsert';

export interface CompanyRow {
  siren: string;
  siret: string | null;
  nom: string;
  nom_commercial: string | null;
  adresse: string | null;
  code_postal: string | null;
  ville_nom: string | null;
  naf_code: string | null;
  naf_libelle: string | null;
  telephone: string | null;
  email_contact: string | null;
  site_web: string | null;
  /** Null when the cell was blank: true for a new company, the stored value for an existing one. */
  is_active: boolean | null;
  subcategory_id: string | null;
  /** ISO date (yyyy-mm-dd). */
  date_creation: string | null;
}

const isActive = `COALESCE(i."is_active", (SELECT c."is_active" FROM "companies" c WHERE c."siren" = i."siren"), true)`;

export const companiesTable: UpsertTable = {
  table: 'companies',
  key: ['siren'],
  undoTable: 'import_undo_companies',
  columns: [
    { name: 'siren', type: 'bpchar' },
    { name: 'siret', type: 'bpchar' },
    { name: 'nom', type: 'text' },
    { name: 'nom_commercial', type: 'text' },
    { name: 'adresse', type: 'text' },
    { name: 'code_postal', type: 'text' },
    { name: 'ville_nom', type: 'text' },
    { name: 'naf_code', type: 'text' },
    { name: 'naf_libelle', type: 'text' },
    { name: 'telephone', type: 'text' },
    { name: 'email_contact', type: 'text' },
    { name: 'site_web', type: 'text' },
    { name: 'is_active', type: 'bool', insert: isActive, created: (value) => value ?? true },
    { name: 'subcategory_id', type: 'int8' },
    { name: 'date_creation', type: 'date' },
  ],
};

