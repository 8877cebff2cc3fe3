import type { TableRow, UpsertTable } from './upsert';

const isActive = `COALESCE(i."is_active", (SELECT c."is_active" FROM "companies" c WHERE c."siren" = i."siren"), true)`;

/**
 * `companies`, keyed by `siren`. A blank `is_active` (null) is true for a new company and keeps the stored
 * value of an existing one; `date_creation` is an ISO date (yyyy-mm-dd).
 */
export const companiesTable = {
  table: 'companies',
  key: ['siren'],
  lineageTable: 'import_lineage_companies',
  restorable: `(l."subcategory_id" IS NULL OR EXISTS (SELECT 1 FROM "subcategories" s WHERE s."id" = l."subcategory_id"))`,
  columns: [
    { name: 'siren', type: 'bpchar', required: true },
    { name: 'siret', type: 'bpchar' },
    { name: 'nom', type: 'text', required: true },
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
} as const satisfies UpsertTable;

export type CompanyRow = TableRow<typeof companiesTable>;
