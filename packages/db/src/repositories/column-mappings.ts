import { randomUUID } from 'node:crypto';
import type { ColumnMapping, SavedMapping } from '@importer/contracts';
import type { Queryable } from '../pool';
import { storableText, storableTexts } from '../storable-text';

/** A saved column mapping as `GET /api/v1/mappings` shows it: the contract's. */
export type { SavedMapping };

interface SavedMappingRow {
  id: string;
  profile: string;
  header_set: string[];
  headers: string[];
  mapping: ColumnMapping;
  saved_by: string | null;
  saved_at: Date;
}

const toView = (row: SavedMappingRow): SavedMapping => ({
  id: row.id,
  profile: row.profile,
  headers: row.headers,
  headerSet: row.header_set,
  mapping: row.mapping,
  savedBy: row.saved_by,
  savedAt: row.saved_at.toISOString(),
});

const COLUMNS = `"id", "profile", "header_set", "headers", "mapping", "saved_by", "saved_at"`;

/** A mapping without NUL characters, which `jsonb` cannot hold (see `storableText`). */
const storableMapping = (mapping: ColumnMapping): ColumnMapping =>
  Object.fromEntries(Object.entries(mapping).map(([header, column]) => [storableText(header), storableText(column)]));

/**
 * Remembered column mappings (docs/profiles.md, "Column mappings"): one per profile and header set, the
 * header set being computed by the caller (`headerSet` in @importer/imports), so that the API saving a mapping
 * and the worker looking one up fold headers the same way.
 */
export function createColumnMappingsRepository(db: Queryable) {
  return {
    /** Newest first; of one profile when given. */
    async list(profile?: string): Promise<SavedMapping[]> {
      const { rows } = await db.query<SavedMappingRow>(
        `SELECT ${COLUMNS} FROM "column_mappings" WHERE $1::text IS NULL OR "profile" = $1 ORDER BY "saved_at" DESC, "id" DESC`,
        [profile ?? null],
      );
      return rows.map(toView);
    },

    /** The mapping saved for this profile and header set, if any. */
    async find(profile: string, headerSet: readonly string[]): Promise<SavedMapping | null> {
      const { rows } = await db.query<SavedMappingRow>(
        `SELECT ${COLUMNS} FROM "column_mappings" WHERE "profile" = $1 AND "header_set" = $2::text[]`,
        [profile, storableTexts(headerSet)],
      );
      return rows[0] ? toView(rows[0]) : null;
    },

    /** Saves the mapping of a profile and header set, replacing the one saved before for them (its id is kept). */
    async save(input: {
      profile: string;
      headerSet: readonly string[];
      headers: readonly string[];
      mapping: ColumnMapping;
      savedBy: string | null;
    }): Promise<{ mapping: SavedMapping; created: boolean }> {
      const { rows } = await db.query<SavedMappingRow & { created: boolean }>(
        `INSERT INTO "column_mappings" ("id", "profile", "header_set", "headers", "mapping", "saved_by")
         VALUES ($1, $2, $3::text[], $4::text[], $5::jsonb, $6)
         ON CONFLICT ("profile", "header_set") DO UPDATE
           SET "headers" = EXCLUDED."headers", "mapping" = EXCLUDED."mapping", "saved_by" = EXCLUDED."saved_by",
               "saved_at" = CURRENT_TIMESTAMP
         RETURNING ${COLUMNS}, ("xmax" = 0) AS "created"`,
        [
          randomUUID(),
          input.profile,
          storableTexts(input.headerSet),
          storableTexts(input.headers),
          JSON.stringify(storableMapping(input.mapping)),
          input.savedBy,
        ],
      );
      const row = rows[0] as SavedMappingRow & { created: boolean };
      return { mapping: toView(row), created: row.created };
    },

    /** Removes a saved mapping; false when there was none with this id. */
    async remove(id: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM "column_mappings" WHERE "id" = $1::uuid`, [id]);
      return (rowCount ?? 0) > 0;
    },
  };
}

export type ColumnMappingsRepository = ReturnType<typeof createColumnMappingsRepository>;
