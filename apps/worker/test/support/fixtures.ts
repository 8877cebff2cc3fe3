import type { Queryable } from '@importer/db';
import { COMPANY_HEADERS, companyRow, toCsv, type FixtureRow } from '@importer/testing';

/**
 * A companies CSV of `rows` data rows in the FoxReviews format, with some rows a real file has: every
 * 997th has a bad SIREN (a row error), every 1009th repeats the previous row's SIREN with another name
 * (the earlier one is skipped with `duplicate_key`).
 */
export function companiesCsv(rows: number, offset = 0): string {
  const data = new Array<FixtureRow>(rows);
  for (let i = 0; i < rows; i++) {
    const n = offset + i;
    if (i % 997 === 996) data[i] = companyRow(n, { siren: '123456789' });
    else if (i % 1009 === 1008) data[i] = { ...companyRow(n - 1), nom: `Société ${n - 1} (corrigée)` };
    else data[i] = companyRow(n);
  }
  return toCsv(COMPANY_HEADERS, data);
}

export interface Fingerprint {
  rows: number;
  digest: string | null;
}

/** Every stored company, every column but ids and timestamps, in key order, hashed. */
export async function companiesFingerprint(db: Queryable): Promise<Fingerprint> {
  const { rows } = await db.query<Fingerprint>(`
    SELECT count(*)::int AS "rows", md5(string_agg(concat_ws('|', siren, siret, nom, nom_commercial, adresse, code_postal,
      ville_nom, naf_code, naf_libelle, telephone, email_contact, site_web, is_active::text, subcategory_id::text,
      date_creation::text), E'\\n' ORDER BY siren)) AS "digest"
    FROM companies`);
  return rows[0] as Fingerprint;
}

/** Every stored row error and warning of the import, hashed in row order. */
export async function rowErrorsFingerprint(db: Queryable, importId: string): Promise<Fingerprint> {
  const { rows } = await db.query<Fingerprint>(
    `SELECT count(*)::int AS "rows", md5(string_agg(concat_ws('|', "row", "level", "column", "code", "message", "value", "raw"::text),
       E'\\n' ORDER BY "row", "level", "code", "column")) AS "digest"
     FROM import_row_errors WHERE import_id = $1`,
    [importId],
  );
  return rows[0] as Fingerprint;
}
